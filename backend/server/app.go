package server

import (
	"io/fs"
	"net/http"

	"github.com/svgtrace/svgtrace/web"
)

// appCSP is the gallery's Content-Security-Policy: its own scripts and the
// wasm ('wasm-unsafe-eval' lets WebAssembly compile, nothing else), images
// from itself and the data: URIs of locally traced placeholders, and
// connections to itself (the API and /ws).
const appCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// mountApp serves the gallery at / (and its service worker at /sw.js, whose
// scope must be the root) and the embeddable module at /embed/.
func (s *Server) mountApp() {
	app, module := web.App(), web.Embed()
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		serveFile(w, r, app, "index.html", "text/html; charset=utf-8")
	})
	s.mux.HandleFunc("GET /sw.js", func(w http.ResponseWriter, r *http.Request) {
		serveFile(w, r, app, "sw.js", "text/javascript; charset=utf-8")
	})
	s.mux.Handle("GET /app/", http.StripPrefix("/app/", noCache(http.FileServerFS(app))))
	s.mux.Handle("GET /embed/", http.StripPrefix("/embed/", noCache(http.FileServerFS(module))))
}

func serveFile(w http.ResponseWriter, r *http.Request, fsys fs.FS, name, ctype string) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

// noCache makes clients revalidate the app's files, which change with every
// build of the binary (the service worker keeps them for offline use).
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
