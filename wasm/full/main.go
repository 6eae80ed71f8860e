//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"syscall/js"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
	"github.com/svgtrace/svgtrace/wasm/browser/jsapi"
)

func main() {
	api := jsapi.Register(js.Global())
	api.Set("traceEncoded", js.FuncOf(traceEncoded))
	select {} // keep the Go program alive for later calls
}

// traceEncoded(bytes, options, onProgress): the file's bytes are copied
// and traced by imageio.Trace, which recognises the format by its bytes.
func traceEncoded(_ js.Value, args []js.Value) any {
	opts, err := jsapi.Options(jsapi.Arg(args, 1))
	if err != nil {
		return jsapi.Rejected(err)
	}
	onProgress, err := jsapi.Callback(jsapi.Arg(args, 2))
	if err != nil {
		return jsapi.Rejected(err)
	}
	data, err := jsapi.Bytes(jsapi.Arg(args, 0), "bytes")
	if err != nil {
		return jsapi.Rejected(err)
	}
	return jsapi.Start(opts, onProgress, func(ctx context.Context, t *tracecore.Tracer, opts tracecore.Options) (*tracecore.Result, error) {
		// imageio.Trace reports no decode progress: the decode stage
		// starts now and ends when the first stage after it reports.
		report := t.OnProgress
		report(tracecore.StageDecode, 0)
		decoding := true
		t.OnProgress = func(s tracecore.Stage, f float64) {
			if decoding {
				decoding = false
				report(tracecore.StageDecode, 1)
			}
			report(s, f)
		}
		return imageio.Trace(ctx, t, bytes.NewReader(data), opts)
	})
}
