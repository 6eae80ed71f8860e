//go:build js && wasm

// Package jstest helps the js/wasm tests of the wasm modules call their
// JavaScript API through syscall/js, as a Worker does, under Node.
package jstest

import (
	"syscall/js"
	"testing"
	"time"
)

// Uint8Array copies b into a new Uint8Array.
func Uint8Array(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// Await waits for a Promise, at most a minute: its value, or the Error it
// rejected with. The test goroutine blocks, so the JavaScript event loop
// runs meanwhile.
func Await(t testing.TB, p js.Value) (v js.Value, rejected js.Value) {
	t.Helper()
	type outcome struct {
		v  js.Value
		ok bool
	}
	ch := make(chan outcome, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- outcome{args[0], true}; return nil })
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- outcome{args[0], false}; return nil })
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case o := <-ch:
		if o.ok {
			return o.v, js.Undefined()
		}
		return js.Undefined(), o.v
	case <-time.After(60 * time.Second):
		t.Fatal("the promise neither resolved nor rejected in 60 s")
	}
	panic("unreachable")
}
