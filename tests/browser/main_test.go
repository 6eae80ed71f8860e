package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/svgtrace/svgtrace/internal/headless"
)

// Set by TestMain.
var (
	moduleRoot string // the svgtrace checkout
	chromium   string // the browser binary, "" when missing
	serverURL  string // web/embed with the wasm files beside svgtrace.js
	wasmDir    string // the wasm build, for svgtrace serve --wasm-dir
	skipReason string // why the tests cannot run, "" when they can
)

// Bounds on every wait. The wasm build is cold on a fresh machine (about
// 25 s on 2 cores); the rest is loopback and a browser.
const (
	buildTimeout   = 5 * time.Minute
	browserTimeout = 90 * time.Second // one test's whole browser session
	stepTimeout    = 30 * time.Second // one wait within it
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := findModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests/browser:", err)
		return 1
	}
	moduleRoot = root
	chromium = headless.Find()
	if chromium == "" {
		skipReason = "chromium is not installed (apt-get install chromium; make deps does it)"
		return m.Run() // the tests skip or, under SVGTRACE_REQUIRE_TOOLS=1, fail
	}
	dir, err := os.MkdirTemp("", "svgtrace-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests/browser:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if err := buildWasm(dir); err != nil {
		fmt.Fprintln(os.Stderr, "tests/browser:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "tests/browser: built the wasm in %v\n", time.Since(start).Round(time.Millisecond))
	wasmDir = dir
	srv := httptest.NewServer(newHandler(dir, filepath.Join(root, "web", "embed")))
	defer srv.Close()
	serverURL = srv.URL
	return m.Run()
}

// findModuleRoot returns the directory of the go.mod above the test's.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// buildWasm writes svgtrace.wasm and wasm_exec.js (and the rest of
// wasm/build's output) into dir.
func buildWasm(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./wasm/build", "-quick", "-o", dir)
	cmd.Dir = moduleRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go run ./wasm/build: %w\n%s", err, out)
	}
	return nil
}

// newHandler serves embed's files, with the files of wasmDir (the wasm
// build) beside svgtrace.js, and the test fixtures under /_test/.
func newHandler(wasmDir, embed string) http.Handler {
	mux := http.NewServeMux()
	files := http.FileServer(http.Dir(embed))
	built := http.FileServer(http.Dir(wasmDir))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name != "" && !strings.Contains(name, "/") {
			if fi, err := os.Stat(filepath.Join(wasmDir, name)); err == nil && fi.Mode().IsRegular() {
				built.ServeHTTP(w, r)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
	// A page with no CSP and nothing on it, for tests that drive the module
	// from script.
	mux.HandleFunc("/_test/blank.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><meta charset=utf-8><title>svgtrace test</title><body></body>")
	})
	mux.HandleFunc("/_test/pattern.rgba", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(pattern(patternW, patternH))
	})
	return mux
}

// newBrowser starts a headless Chromium with a fresh profile for t and
// returns its context, which ends with the test (the allocator's cancel
// kills the browser).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if skipReason != "" {
		if os.Getenv("SVGTRACE_REQUIRE_TOOLS") == "1" {
			t.Fatal(skipReason)
		}
		t.Skip(skipReason)
	}
	opts := headless.Options(chromium, t.TempDir())
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser process to exit
	})
	start := time.Now()
	// The first Run starts the browser, on a context without a deadline (a
	// deadline there would end the browser); the whole session is bounded
	// by a watchdog instead.
	stop := time.AfterFunc(browserTimeout, func() {
		t.Errorf("the browser session took over %v: stopping it", browserTimeout)
		cancelBrowser()
	})
	t.Cleanup(func() { stop.Stop() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	return bctx
}

// step returns a context for one bounded wait within the browser session.
func step(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	t.Cleanup(cancel)
	return sctx
}

// artifactDir is where screenshots go: $SVGTRACE_ARTIFACTS, or
// out/browser-artifacts of the module (git-ignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SVGTRACE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(moduleRoot, "out", "browser-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	return dir
}

// screenshot saves the page as name.png among the artifacts.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(step(t, ctx), chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(artifactDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// jsError returns a JavaScript exception as an error naming it.
func jsError(err error) error {
	var ex *chromedp.ExceptionError
	if errors.As(err, &ex) {
		return fmt.Errorf("javascript: %w", err)
	}
	return err
}
