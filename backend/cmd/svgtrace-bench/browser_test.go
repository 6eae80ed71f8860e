package main

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLongTasks(t *testing.T) {
	t.Run("None", func(t *testing.T) {
		if got := longest(nil); got != 0 {
			t.Errorf("longest(nil) = %v, want 0", got)
		}
		if got := countOver(nil, 50); got != 0 {
			t.Errorf("countOver(nil) = %v, want 0", got)
		}
	})
	t.Run("Some", func(t *testing.T) {
		xs := []float64{50, 73.5, 51, 50}
		if got := longest(xs); got != 73.5 {
			t.Errorf("longest = %v, want 73.5", got)
		}
		// A task of exactly 50 ms is reported by the API but not over it.
		if got := countOver(xs, 50); got != 2 {
			t.Errorf("countOver = %v, want 2", got)
		}
	})
}

func TestBrowserTargets(t *testing.T) {
	t.Run("Skipped", func(t *testing.T) {
		bb := &BrowserBench{Skipped: "chromium is not installed"}
		if ts := bb.Targets(); len(ts) != 0 {
			t.Errorf("a skipped section judges %d targets, want none", len(ts))
		}
		var b strings.Builder
		bb.section(&b)
		if !strings.Contains(b.String(), "Not measured: chromium is not installed") {
			t.Errorf("section does not say why it was skipped:\n%s", b.String())
		}
	})
	t.Run("Judged", func(t *testing.T) {
		bb := &BrowserBench{
			Width: 400, Height: 300, PhotoBytes: 1826239,
			Direct:      []float64{3, 3.5, 5},
			Placeholder: []float64{160, 170, 180},
			LongTasks:   []float64{52},
			LoadCreate:  []float64{100, 120},
			Offline:     &OfflineResult{Works: true, ReloadMs: 40, CreateMs: 90},
		}
		want := []bool{true, false, false, true, true}
		if ts := (&BrowserBench{}).Targets(); !ts[2].Pass || !strings.Contains(ts[2].Line, "none") {
			t.Errorf("no long tasks: %s, want a PASS saying none", ts[2])
		}
		ts := bb.Targets()
		if len(ts) != len(want) {
			t.Fatalf("%d targets, want %d: %v", len(ts), len(want), ts)
		}
		for i, tg := range ts {
			if tg.Pass != want[i] {
				t.Errorf("target %d: %s, want pass %v", i, tg, want[i])
			}
		}
		var b strings.Builder
		bb.section(&b)
		if !strings.Contains(b.String(), "| 400×300 trace from pixels, svgtrace.trace in a Worker | 3 | 3.50 ms | 3.00–5.00 ms | ≤ 4.00 ms | PASS |") {
			t.Errorf("section lacks the trace row:\n%s", b.String())
		}
	})
	t.Run("OfflineNotMeasured", func(t *testing.T) {
		bb := &BrowserBench{Offline: &OfflineResult{Err: "waiting for the service worker"}}
		ts := bb.Targets()
		last := ts[len(ts)-1]
		if last.Pass || !strings.Contains(last.Line, "waiting for the service worker") {
			t.Errorf("offline target %s, want a MISS naming the error", last)
		}
	})
}

func TestBrowserHandler(t *testing.T) {
	setup := func(t *testing.T) *httptest.Server {
		t.Helper()
		wasmDir, embedDir := t.TempDir(), t.TempDir()
		write := func(dir, name, data string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(wasmDir, "svgtrace.wasm", "raw wasm")
		write(wasmDir, "svgtrace.wasm.gz", "gzipped wasm")
		write(wasmDir, "wasm_exec.js", "// loader")
		write(embedDir, "svgtrace.js", "// module")
		write(embedDir, "photo.jpg", "jpeg")
		page := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
		srv := httptest.NewServer(browserHandler(wasmDir, embedDir, fs.FS(page), filepath.Join(embedDir, "photo.jpg")))
		t.Cleanup(srv.Close)
		return srv
	}
	get := func(t *testing.T, url, acceptEncoding string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		// Set by hand, so the transport does not decompress the body.
		req.Header.Set("Accept-Encoding", acceptEncoding)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", url, cc)
		}
		return resp, string(b)
	}

	t.Run("WasmGzipped", func(t *testing.T) {
		srv := setup(t)
		resp, body := get(t, srv.URL+"/svgtrace.wasm", "gzip, deflate, br")
		if body != "gzipped wasm" || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/wasm" {
			t.Errorf("got %q, Content-Encoding %q, Content-Type %q", body, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
		}
	})
	t.Run("WasmRaw", func(t *testing.T) {
		srv := setup(t)
		resp, body := get(t, srv.URL+"/svgtrace.wasm", "identity")
		if body != "raw wasm" || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("got %q, Content-Encoding %q", body, resp.Header.Get("Content-Encoding"))
		}
	})
	t.Run("Files", func(t *testing.T) {
		srv := setup(t)
		for path, want := range map[string]string{
			"/wasm_exec.js":    "// loader",
			"/svgtrace.js":     "// module",
			"/bench/":          "<!doctype html>",
			"/bench/picos.jpg": "jpeg",
		} {
			if _, body := get(t, srv.URL+path, "identity"); body != want {
				t.Errorf("GET %s = %q, want %q", path, body, want)
			}
		}
	})
}

func TestFmtTimings(t *testing.T) {
	got := fmtTimings(map[string]float64{"optimize": 1, "zeta": 0.5, "prepare": 2, "alpha": 0.25, "decompose": 3})
	want := "prepare 2.00 ms, decompose 3.00 ms, optimize 1.00 ms, alpha 0.250 ms, zeta 0.500 ms"
	if got != want {
		t.Errorf("fmtTimings = %q, want %q", got, want)
	}
}

func TestBrowserPage(t *testing.T) {
	for _, name := range []string{"browserpage/index.html", "browserpage/bench.js", "browserpage/trace-worker.js"} {
		if _, err := fs.Stat(browserpage, name); err != nil {
			t.Errorf("embedded page: %v", err)
		}
	}
}
