//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"syscall/js"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
	"github.com/svgtrace/svgtrace/wasm/browser/jsapi"
	"github.com/svgtrace/svgtrace/wasm/internal/jstest"
)

// traceEncoded, called through syscall/js under Node:
// PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test ./wasm/full.
// wasm/browser's tests cover what the two builds share.

func TestMain(m *testing.M) {
	api := jsapi.Register(js.Global())
	api.Set("traceEncoded", js.FuncOf(traceEncoded))
	os.Exit(m.Run())
}

func TestTraceEncoded(t *testing.T) {
	api := js.Global().Get("svgtrace")
	img := image.NewNRGBA(image.Rect(0, 0, 90, 60))
	for y := range 60 {
		for x := range 90 {
			if (x-45)*(x-45)+(y-30)*(y-30) < 400 || x < 10 {
				img.SetNRGBA(x, y, color.NRGBA{30, 120, 60, 255})
			}
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	file := buf.Bytes()

	t.Run("MatchesImageio", func(t *testing.T) {
		opts := tracecore.PlaceholderOptions()
		opts.Precision = 1
		want, err := imageio.Trace(context.Background(), new(tracecore.Tracer), bytes.NewReader(file), opts)
		if err != nil {
			t.Fatal(err)
		}
		var stages []string
		onProgress := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if s := args[0].String(); len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
			return nil
		})
		defer onProgress.Release()
		v, e := await(t, api.Call("traceEncoded", uint8Array(file), `{"precision": 1}`, onProgress))
		if !e.IsUndefined() {
			t.Fatalf("rejected: %s", e.Get("message"))
		}
		if got := v.Get("svg").String(); got != string(want.SVG()) {
			t.Errorf("svg:\n got %s\nwant %s", got, want.SVG())
		}
		if w, h := v.Get("width").Int(), v.Get("height").Int(); w != 90 || h != 60 {
			t.Errorf("size %d×%d, want 90×60", w, h)
		}
		if len(stages) < 2 || stages[0] != "decode" || stages[1] != "prepare" {
			t.Errorf("progress stages %v, want decode then prepare first", stages)
		}
	})

	t.Run("NotAnImage", func(t *testing.T) {
		_, e := await(t, api.Call("traceEncoded", uint8Array([]byte("hello, not an image at all")), js.Undefined()))
		if e.IsUndefined() {
			t.Fatal("resolved")
		}
		if code := e.Get("code").String(); code != "unsupported" && code != "corrupt" {
			t.Errorf("rejected with code %s %q, want unsupported or corrupt", code, e.Get("message"))
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		_, e := await(t, api.Call("traceEncoded", uint8Array(file), `{"maxpixels": 100}`))
		if e.IsUndefined() || e.Get("code").String() != "too_large" {
			t.Errorf("rejected with %v, want code too_large", e)
		}
	})
}

// uint8Array and await are jstest's, by their short names here.
var (
	uint8Array = jstest.Uint8Array
	await      = func(t *testing.T, p js.Value) (js.Value, js.Value) { return jstest.Await(t, p) }
)
