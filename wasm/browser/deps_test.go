//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// forbidden are the packages the browser module must not link, and why:
// decoders (the Worker decodes with createImageBitmap), the backend's
// database, queue and network stacks. A prefix ending in "/" matches the
// packages under it too.
var forbidden = []string{
	"image/jpeg", "image/png", "image/gif", // decoders
	"golang.org/x/image/", // webp, bmp and the rest
	"github.com/svgtrace/svgtrace/tracecore/imageio",
	"github.com/svgtrace/svgtrace/backend/",
	"modernc.org/sqlite",
	"github.com/gorilla/websocket",
	"net/http",
	"github.com/riverqueue/",
	"github.com/tursodatabase/",
	"libsql", // any libSQL client, wherever it lives
}

// wasmDeps lists pkg's dependencies as GOOS=js GOARCH=wasm builds it.
func wasmDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command(goTool(t), "list", "-deps", pkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr(err))
	}
	return strings.Fields(string(out))
}

func TestDeps(t *testing.T) {
	deps := wasmDeps(t, ".")
	for _, d := range deps {
		for _, f := range forbidden {
			if d == strings.TrimSuffix(f, "/") || strings.HasPrefix(d, f) && strings.HasSuffix(f, "/") || f == "libsql" && strings.Contains(d, f) {
				t.Errorf("the browser module links %s (forbidden: %s)", d, f)
			}
		}
	}
	// Only tracecore from this module: no backend, no other wasm entry.
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/svgtrace/svgtrace/") &&
			!strings.HasPrefix(d, "github.com/svgtrace/svgtrace/tracecore") &&
			!strings.HasPrefix(d, "github.com/svgtrace/svgtrace/wasm/browser") {
			t.Errorf("the browser module imports %s", d)
		}
		if !strings.Contains(strings.SplitN(d, "/", 2)[0], ".") || strings.HasPrefix(d, "github.com/svgtrace/") {
			continue // the standard library, this module
		}
		t.Errorf("the browser module imports %s, outside the standard library", d)
	}
}

// maxGzip is the budget of the browser module gzipped: 1 MB, in decimal.
const maxGzip = 1_000_000

// TestSize builds the module as wasm/build does and checks its gzipped
// size against the budget. It costs a js/wasm build: a few seconds with a
// warm build cache, 30–60 s cold.
func TestSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wasm module; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "svgtrace.wasm")
	start := time.Now()
	cmd := exec.Command(goTool(t), "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(wasm)
	zw.Close()
	t.Logf("svgtrace.wasm: %d bytes, %d gzipped (budget %d), built in %v", len(wasm), gz.Len(), maxGzip, time.Since(start).Round(time.Millisecond))
	if gz.Len() > maxGzip {
		t.Errorf("svgtrace.wasm is %d bytes gzipped, over the %d budget: see what grew (wasm/browser's doc, \"Size\")", gz.Len(), maxGzip)
	}
}

// goTool is the go command of the toolchain running the test.
func goTool(t *testing.T) string {
	t.Helper()
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		if p := filepath.Join(goroot, "bin", "go"); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is not in PATH")
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
