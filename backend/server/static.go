package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticTypes are the Content-Types of the built files /wasm/ serves.
var staticTypes = map[string]string{
	".wasm": "application/wasm",
	".js":   "text/javascript; charset=utf-8",
}

// encodings are the precompressed variants `make wasm` writes, best first.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// handleWasm serves the built WebAssembly modules and wasm_exec.js from the
// binary (package web), choosing the precompressed .br or .gz variant the
// client accepts, with Content-Encoding, Vary and an ETag per variant. The
// files change with every build, so clients revalidate (no-cache) and get
// 304 while unchanged. Without `make wasm` there are none: 404, and the
// gallery traces on the server.
func (s *Server) handleWasm(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctype, ok := staticTypes[path.Ext(name)]
	if !ok || strings.Contains(name, "/") {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no such file %q", name))
		return
	}
	fsys := s.cfg.Wasm
	accept := r.Header.Get("Accept-Encoding")
	served, encoding := name, ""
	for _, e := range encodings {
		if acceptsEncoding(accept, e.name) && exists(fsys, name+e.ext) {
			served, encoding = name+e.ext, e.name
			break
		}
	}
	data, err := fs.ReadFile(fsys, served)
	if err != nil {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound,
			"%s is not built into this binary: run make wasm, then build svgtrace again", name))
		return
	}
	sum := sha256.Sum256(data)
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// acceptsEncoding reports whether an Accept-Encoding header accepts enc
// (present, and not with q=0).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(token), enc) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
