//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/internal/workerd"
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
		for _, f := range workerd.Modules {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				t.Fatalf("SVGTRACE_EDGE_BUNDLE=%s: %v (make edge builds it)", d, err)
			}
		}
		return d
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	require.NoError(t, workerd.Build(context.Background(), root, dir))
	return dir
}

// startWorkerd runs workerd on the bundle, listening on a loopback port,
// waits until it answers GET / and returns its base URL; the test's
// cleanup stops it.
func startWorkerd(t *testing.T, bin, bundle string) string {
	t.Helper()
	p, err := workerd.Start(context.Background(), bin, bundle, t.TempDir(), workerdReady)
	require.NoError(t, err)
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("workerd output:\n%s", p.Output())
		}
	})
	return p.URL
}
