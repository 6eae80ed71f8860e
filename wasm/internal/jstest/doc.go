// Package jstest holds test helpers for the js/wasm tests of wasm/browser
// and wasm/full; it builds only for GOOS=js GOARCH=wasm, where the rest of
// the package lives.
package jstest
