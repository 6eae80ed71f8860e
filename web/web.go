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
func Wasm() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it exists
	}
	return sub
}
