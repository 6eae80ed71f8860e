package server_test

import (
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/server"
)

func TestWasmServing(t *testing.T) {
	files := fstest.MapFS{
		"svgtrace.wasm":    {Data: []byte("\x00asm raw")},
		"svgtrace.wasm.br": {Data: []byte("brotli bytes")},
		"svgtrace.wasm.gz": {Data: []byte("gzip bytes")},
		"wasm_exec.js":     {Data: []byte("// go")},
	}
	e := setup(t, func(c *server.Config) { c.Wasm = files })
	for _, tc := range []struct {
		name, path, accept string
		status             int
		body, encoding     string
		ctype              string
	}{
		{"Brotli", "/wasm/svgtrace.wasm", "gzip, deflate, br", 200, "brotli bytes", "br", "application/wasm"},
		{"Gzip", "/wasm/svgtrace.wasm", "gzip", 200, "gzip bytes", "gzip", "application/wasm"},
		{"BrotliRefused", "/wasm/svgtrace.wasm", "br;q=0, gzip", 200, "gzip bytes", "gzip", "application/wasm"},
		{"Identity", "/wasm/svgtrace.wasm", "", 200, "\x00asm raw", "", "application/wasm"},
		{"ExecJS", "/wasm/wasm_exec.js", "br", 200, "// go", "", "text/javascript; charset=utf-8"},
		{"NotBuilt", "/wasm/svgtrace-full.wasm", "br", 404, "", "", ""},
		{"OtherType", "/wasm/README.md", "", 404, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
			require.NoError(t, err)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			// The transport must not add or undo an encoding itself.
			tr := &http.Transport{DisableCompression: true}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body := make([]byte, 64)
			n, _ := resp.Body.Read(body)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.status != 200 {
				return
			}
			assert.Equal(t, tc.body, string(body[:n]))
			assert.Equal(t, tc.encoding, resp.Header.Get("Content-Encoding"))
			assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
			assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"))
			assert.NotEmpty(t, resp.Header.Get("ETag"))
		})
	}
}
