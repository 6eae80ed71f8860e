//go:build !(js && wasm)

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDependencies checks what the Workers build links: of this module,
// tracecore and its packages, the browser module's plain-Go option parser
// and the edge's own packages; beyond the standard library, only the image
// decoders tracecore/imageio uses and syumai/workers. Nothing of backend/
// (its database drivers and server would not fit a Worker, and arrows point
// the other way).
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "github.com/svgtrace/svgtrace/wasm/edge")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	allowed := []string{
		"github.com/svgtrace/svgtrace/tracecore",
		"github.com/svgtrace/svgtrace/wasm/browser/jsapi",
		"github.com/svgtrace/svgtrace/wasm/edge",
		"golang.org/x/image/",
		"github.com/syumai/workers",
	}
	for _, d := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(d, "/")
		if !strings.Contains(first, ".") {
			continue // the standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(d, a)
		}
		assert.True(t, ok, "the edge build links %s", d)
	}
}
