package web

import (
	"embed"
	"io/fs"
)

// dist is the output of `make wasm` (go run ./wasm/build -o web/dist):
// svgtrace.wasm, svgtrace-full.wasm, their .gz and .br, and wasm_exec.js.
//
//go:embed all:dist
var dist embed.FS

// Wasm returns the built WebAssembly files, flat. It may hold only the
// README when `make wasm` has not run.
func Wasm() fs.FS { return sub(dist, "dist") }

//go:embed app
var app embed.FS

//go:embed embed
var module embed.FS

// App returns the gallery app: index.html, its scripts and styles, and the
// service worker sw.js.
func App() fs.FS { return sub(app, "app") }

// Embed returns the embeddable ES module (web/embed): svgtrace.js, its
// Worker, TypeScript declarations, package.json and the demo.
func Embed() fs.FS { return sub(module, "embed") }

func sub(f embed.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // embedded directories exist
	}
	return s
}
