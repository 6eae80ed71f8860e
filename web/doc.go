// Package web holds the static files svgtrace serve embeds: the built
// WebAssembly modules (dist/, written by `make wasm`, not committed) and,
// as they land, the gallery app and the embeddable module.
//
// # Guarantees
//
// A clean clone builds and runs without dist/: go:embed matches the
// directory's README, Wasm reports the modules missing, and the server
// answers their URLs with 404 while uploads are traced on the server.
package web
