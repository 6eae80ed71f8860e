package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// interopDir holds the independent WebSocket client: client.js and the
// package.json and package-lock.json that pin Node's ws package.
const interopDir = "ws-interop"

// TestInteropNodeWS runs an independent client, Node's ws package, against
// a real `svgtrace serve`: text frames that parse as the protocol's JSON,
// ping/pong, a foreign Origin's 403, resume and a live image.added, a
// malformed message and a binary frame answered with bad_message, and close
// code 1009 for a message over the read limit (tests/ws-interop/client.js).
func TestInteropNodeWS(t *testing.T) {
	node, npm := tool(t, "node"), tool(t, "npm")
	modules := installInterop(t, npm)
	s := startServer(t, serveOpts{workers: 0})
	img := image.NewGray(image.Rect(0, 0, 48, 32))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 8; y < 24; y++ {
		for x := 12; x < 36; x++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
	png := filepath.Join(t.TempDir(), "interop.png")
	require.NoError(t, os.WriteFile(png, encodePNG(t, img), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	script, err := filepath.Abs(filepath.Join(interopDir, "client.js"))
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, node, script, s.URL, png)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(modules, "node_modules"))
	out, err := cmd.CombinedOutput()
	t.Logf("node client.js:\n%s", out)
	require.NoError(t, err, "the ws client failed")
}

// tool returns the path of a program the test needs. Without it the test is
// skipped, unless SVGTRACE_REQUIRE_TOOLS is set (make test sets it after
// installing what is missing), when it fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SVGTRACE_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is required (make deps installs it): %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// installInterop installs the pinned ws package with npm ci into a cache
// directory named after the package files' hash, once per pin, and returns
// that directory. A concurrent install of the same pin is harmless: the
// first rename wins and the other's copy is removed.
func installInterop(t *testing.T, npm string) string {
	t.Helper()
	files := []string{"package.json", "package-lock.json"}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(interopDir, f))
		require.NoError(t, err)
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	require.NoError(t, err, "no cache directory for the npm packages")
	base := filepath.Join(cache, "svgtrace-tests")
	dir := filepath.Join(base, "npm-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ws", "package.json")); err == nil {
		return dir
	}
	require.NoError(t, os.MkdirAll(base, 0o755))
	tmp, err := os.MkdirTemp(base, "install-")
	require.NoError(t, err)
	defer os.RemoveAll(tmp)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(interopDir, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tmp, f), b, 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s:\n%s", tmp, out)
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", "ws", "package.json")); serr != nil {
			require.NoError(t, errors.Join(err, serr), "install into %s", dir)
		}
	}
	return dir
}
