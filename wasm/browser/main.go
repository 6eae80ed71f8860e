//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/svgtrace/svgtrace/wasm/browser/jsapi"
)

func main() {
	jsapi.Register(js.Global())
	select {} // keep the Go program alive for later calls
}
