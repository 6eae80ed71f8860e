//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so that go build ./... and go vet ./... pass natively; the
// module is built with GOOS=js GOARCH=wasm (go run ./wasm/build).
func main() {
	fmt.Fprintln(os.Stderr, "wasm/full: build with GOOS=js GOARCH=wasm (go run ./wasm/build -o DIR)")
	os.Exit(2)
}
