//go:build js && wasm

package main

import (
	"github.com/syumai/workers"

	"github.com/svgtrace/svgtrace/wasm/edge/edgeapi"
)

// main hands the handler to the Workers runtime, which calls it for one
// request and then lets this Go instance end.
func main() {
	workers.Serve(edgeapi.New(edgeapi.Config{}))
}
