//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// The real bundle under workerd, Cloudflare's own runtime, in-process
// nothing: make edge's wasm and syumai's glue, served from a generated
// config on a loopback socket this test opens and hands over.
//
// SVGTRACE_EDGE_BUNDLE names a built bundle (make test builds it once with
// make edge); without it the test builds one. SVGTRACE_WORKERD names the
// workerd binary (make test installs the pinned npm package); without it
// the test looks on PATH, and skips when there is none unless
// SVGTRACE_REQUIRE_TOOLS=1 (make test), when it fails instead.

// workerdReady bounds workerd's start-up: it compiles the 7 MB module
// first, about a second here; 30 s allows a loaded CI machine.
const workerdReady = 30 * time.Second

// requestTimeout bounds each request to workerd: a placeholder trace takes
// well under a second there.
const requestTimeout = 60 * time.Second

func TestWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no workerd")
	}
	bin := findWorkerd(t)
	bundle := edgeBundle(t)
	base := startWorkerd(t, bin, bundle)
	client := &http.Client{Timeout: requestTimeout}

	post := func(t *testing.T, query string, body []byte) *http.Response {
		t.Helper()
		resp, err := client.Post(base+"/trace"+query, "application/octet-stream", bytes.NewReader(body))
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	read := func(t *testing.T, resp *http.Response) string {
		t.Helper()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}

	t.Run("Usage", func(t *testing.T) {
		resp, err := client.Get(base + "/")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, read(t, resp), "POST /trace")
	})

	// Each case's SVG must be byte-identical to native tracecore's.
	cases := []struct {
		name, image, query string
		set                func(*tracecore.Options)
	}{
		{name: "LogoPNG", image: "opencv-logo.png"},
		{name: "FruitsJPEG", image: "fruits.jpg", query: "?threshold=0.4&turdsize=10&color=auto",
			set: func(o *tracecore.Options) { o.Threshold = 0.4; o.TurdSize = 10 }},
		{name: "PicosReducedJPEG", image: "picos.jpg"},
		{name: "BrushesPosterized", image: "brushes.jpg", query: "?steps=3&precision=1",
			set: func(o *tracecore.Options) { o.Steps = 3; o.Precision = 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(images, c.image))
			require.NoError(t, err)
			o := tracecore.PlaceholderOptions()
			if c.set != nil {
				c.set(&o)
			}
			want, err := imageio.Trace(context.Background(), new(tracecore.Tracer), bytes.NewReader(body), o)
			require.NoError(t, err)

			resp := post(t, c.query, body)
			got := read(t, resp)
			require.Equal(t, http.StatusOK, resp.StatusCode, got)
			assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
			assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, string(want.SVG()), got)
		})
	}

	t.Run("DataURIAndJSON", func(t *testing.T) {
		body, err := os.ReadFile(filepath.Join(images, "fruits.jpg"))
		require.NoError(t, err)
		want, err := imageio.Trace(context.Background(), new(tracecore.Tracer), bytes.NewReader(body), tracecore.PlaceholderOptions())
		require.NoError(t, err)
		resp := post(t, "?format=datauri", body)
		assert.Equal(t, want.DataURI(), read(t, resp))

		req, err := http.NewRequest(http.MethodPost, base+"/trace", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Accept", "application/json")
		resp, err = client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var rep tracecore.Report
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
		assert.Equal(t, string(want.SVG()), rep.SVG)
		assert.Equal(t, 512, rep.Width)
	})

	t.Run("Errors", func(t *testing.T) {
		for _, e := range []struct {
			name, query string
			body        []byte
			status      int
			code        string
		}{
			{"NotAnImage", "", []byte("hello, not an image at all"), 415, "not_an_image"},
			{"BadOption", "?turdsize=many", []byte("x"), 400, "invalid_options"},
			{"TooManyPixels", "?maxpixels=1000", mustRead(t, "fruits.jpg"), 422, "too_many_pixels"},
		} {
			t.Run(e.name, func(t *testing.T) {
				resp := post(t, e.query, e.body)
				var got map[string]string
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
				assert.Equal(t, e.status, resp.StatusCode)
				assert.Equal(t, e.code, got["code"], got["error"])
				assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			})
		}
	})

	t.Run("Preflight", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodOptions, base+"/trace", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "https://example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	})
}

// images is the repository's test corpus (tracecore/testdata/SOURCES.md).
const images = "../../tracecore/testdata/images"

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(images, name))
	require.NoError(t, err)
	return b
}

// findWorkerd returns the workerd binary, or skips (fails under
// SVGTRACE_REQUIRE_TOOLS=1) when there is none.
func findWorkerd(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SVGTRACE_WORKERD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("SVGTRACE_WORKERD=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("workerd"); err == nil {
		return p
	}
	if os.Getenv("SVGTRACE_REQUIRE_TOOLS") == "1" {
		t.Fatal("workerd not found and SVGTRACE_REQUIRE_TOOLS=1: make test installs it (make workerd) and sets SVGTRACE_WORKERD")
	}
	t.Skip("workerd not found: set SVGTRACE_WORKERD, or run make test, which installs it")
	return ""
}

// edgeBundle returns the directory of a built bundle: SVGTRACE_EDGE_BUNDLE,
// or one built now as make edge builds it.
func edgeBundle(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SVGTRACE_EDGE_BUNDLE"); d != "" {
		for _, f := range bundleFiles {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				t.Fatalf("SVGTRACE_EDGE_BUNDLE=%s: %v (make edge builds it)", d, err)
			}
		}
		return d
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, args := range [][]string{
		{"run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", dir},
		{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "app.wasm"), "./wasm/edge"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if args[0] == "build" {
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
	}
	return dir
}

// bundleFiles are the modules of the Worker: syumai's glue and the wasm.
var bundleFiles = []string{"worker.mjs", "wasm_exec.js", "runtime.mjs", "app.wasm"}

// workerdConfig is the capnp config for bundle: one Worker of the bundle's
// modules and one HTTP socket, whose listening descriptor workerd is
// given (--socket-fd), so no port is chosen and lost between test and
// runtime. compatibilityDate is wrangler.toml's.
//
// capnp resolves an absolute embed path against its import path, not the
// file system, so the modules are named relative to the config's dir.
func workerdConfig(dir, bundle string) (string, error) {
	var mods strings.Builder
	for _, f := range bundleFiles {
		kind := "esModule"
		if strings.HasSuffix(f, ".wasm") {
			kind = "wasm"
		}
		rel, err := filepath.Rel(dir, filepath.Join(bundle, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&mods, "    (name = %q, %s = embed %q),\n", f, kind, rel)
	}
	return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .edge)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const edge :Workerd.Worker = (
  modules = [
` + mods.String() + `  ],
  compatibilityDate = "2025-09-01",
);
`, nil
}

// startWorkerd runs workerd on the bundle, listening on a loopback port,
// waits until it answers GET / and returns its base URL; the test's
// cleanup stops it.
func startWorkerd(t *testing.T, bin, bundle string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "config.capnp")
	abs, err := filepath.Abs(bundle)
	require.NoError(t, err)
	text, err := workerdConfig(dir, abs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(conf, []byte(text), 0o644))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lf, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ln.Close() // lf keeps the socket listening, for workerd

	var log lockedBuffer
	cmd := exec.Command(bin, "serve", conf, "--socket-fd", "http=3")
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	lf.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("workerd output:\n%s", log.String())
		}
	})

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(workerdReady)
	for {
		resp, err := client.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("workerd exited before answering:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("workerd not ready within %v (last error %v):\n%s", workerdReady, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer collects a process's output for the test's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
