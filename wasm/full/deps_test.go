//go:build !js

package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDeps checks the full module links the decoders and still none of the
// backend's database, queue or network stacks.
func TestDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, f := range []string{"modernc.org/", "github.com/gorilla/", "net/http", "github.com/riverqueue/",
			"github.com/tursodatabase/", "github.com/svgtrace/svgtrace/backend/"} {
			if d == strings.TrimSuffix(f, "/") || strings.HasPrefix(d, f) {
				t.Errorf("the full module links %s", d)
			}
		}
	}
	for _, want := range []string{"github.com/svgtrace/svgtrace/tracecore/imageio", "image/jpeg", "image/png", "golang.org/x/image/webp"} {
		if !slices.Contains(deps, want) {
			t.Errorf("the full module does not link %s", want)
		}
	}
}
