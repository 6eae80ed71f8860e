//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"syscall/js"
	"testing"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/wasm/browser/jsapi"
	"github.com/svgtrace/svgtrace/wasm/internal/jstest"
)

// The browser module's API, called through syscall/js as a Worker calls
// it, under Node: PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js
// GOARCH=wasm go test ./wasm/browser.

func TestMain(m *testing.M) {
	jsapi.Register(js.Global()) // what main does, without blocking
	os.Exit(m.Run())
}

// setup returns the global svgtrace object.
func setup(t *testing.T) js.Value {
	t.Helper()
	api := js.Global().Get("svgtrace")
	if api.Type() != js.TypeObject {
		t.Fatal("globalThis.svgtrace is not installed")
	}
	return api
}

// uint8Array and await are jstest's, by their short names here.
var (
	uint8Array = jstest.Uint8Array
	await      = func(t *testing.T, p js.Value) (js.Value, js.Value) { return jstest.Await(t, p) }
)

// mustResolve awaits p and fails the test if it rejects.
func mustResolve(t *testing.T, p js.Value) js.Value {
	t.Helper()
	v, e := await(t, p)
	if !e.IsUndefined() {
		t.Fatalf("rejected: %s: %s (code %s)", e.Get("name"), e.Get("message"), e.Get("code"))
	}
	return v
}

// mustReject awaits p and returns its error's name, code and message.
func mustReject(t *testing.T, p js.Value) (name, code, message string) {
	t.Helper()
	v, e := await(t, p)
	if e.IsUndefined() {
		t.Fatalf("resolved (svg %.80s…); want a rejection", v.Get("svg"))
	}
	if !e.InstanceOf(js.Global().Get("Error")) {
		t.Fatalf("rejected with %v, not an Error", e)
	}
	return e.Get("name").String(), e.Get("code").String(), e.Get("message").String()
}

func TestTrace(t *testing.T) {
	api := setup(t)
	rgba, w, h := testRGBA()

	t.Run("Version", func(t *testing.T) {
		if v := api.Get("version"); v.Type() != js.TypeString || v.String() != "devel" {
			t.Errorf("version = %v, want \"devel\" (unset by go test)", v)
		}
	})

	t.Run("Golden", func(t *testing.T) {
		// The API's SVG is byte for byte native tracecore's (TestGolden).
		for _, g := range goldens {
			pix, w, h := g.pixels()
			want, err := os.ReadFile(filepath.Join("testdata", g.name+".svg"))
			if err != nil {
				t.Fatal(err)
			}
			res := mustResolve(t, api.Call("trace", uint8Array(pix), w, h, g.channels, goldenOptions))
			if got := res.Get("svg").String(); got != string(want) {
				t.Errorf("%s: SVG differs from native tracecore's\n got %s\nwant %s", g.name, got, want)
			}
		}
	})

	t.Run("ImageSize", func(t *testing.T) {
		// Pixels the browser downscaled stand for the full image: the SVG
		// keeps the full size, exactly as tracecore.Reduced does natively.
		size := js.Global().Get("Object").New()
		size.Set("width", 4*w)
		size.Set("height", 4*h)
		res := mustResolve(t, api.Call("trace", uint8Array(rgba), w, h, 4, js.Undefined(), js.Undefined(), size))
		m, err := tracecore.FromRGBA(rgba, w, h, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tracecore.TraceImage(context.Background(), &tracecore.Reduced{Image: m, Width: 4 * w, Height: 4 * h}, tracecore.PlaceholderOptions())
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Get("svg").String(); got != string(want.SVG()) {
			t.Errorf("SVG differs from tracecore's of the Reduced image\n got %s\nwant %s", got, want.SVG())
		}
		if got := res.Get("width").Int(); got != 4*w {
			t.Errorf("width = %d, want the full image's %d", got, 4*w)
		}
		small := js.Global().Get("Object").New()
		small.Set("width", w-1)
		small.Set("height", h)
		if _, code, _ := mustReject(t, api.Call("trace", uint8Array(rgba), w, h, 4, js.Undefined(), js.Undefined(), small)); code != "invalid_input" {
			t.Errorf("imageSize smaller than the pixels: code %q, want invalid_input", code)
		}
	})

	t.Run("MatchesTracecore", func(t *testing.T) {
		// The whole result, for options given each way, against tracecore
		// called directly with the same pixels and options.
		opts := tracecore.PlaceholderOptions()
		opts.TurdSize, opts.Color = 4, "#123456"
		obj := js.Global().Get("Object").New()
		obj.Set("turdsize", 4)
		obj.Set("color", "#123456")
		for _, tc := range []struct {
			name    string
			options any
			want    tracecore.Options
		}{
			{"Undefined", js.Undefined(), tracecore.PlaceholderOptions()},
			{"Null", js.Null(), tracecore.PlaceholderOptions()},
			{"Empty", "", tracecore.PlaceholderOptions()},
			{"JSON", `{"turdsize": 4, "color": "#123456"}`, opts},
			{"Object", obj, opts},
			{"Posterize", `{"steps": 3}`, func() tracecore.Options { o := tracecore.PlaceholderOptions(); o.Steps = 3; return o }()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rep := nativeTrace(t, rgba, w, h, 4, tc.want).Report()
				res := mustResolve(t, api.Call("trace", uint8Array(rgba), w, h, 4, tc.options))
				if got := res.Get("svg").String(); got != rep.SVG {
					t.Errorf("svg:\n got %s\nwant %s", got, rep.SVG)
				}
				if got := res.Get("dataURI").String(); got != rep.DataURI {
					t.Errorf("dataURI:\n got %s\nwant %s", got, rep.DataURI)
				}
				if gw, gh := res.Get("width").Int(), res.Get("height").Int(); gw != w || gh != h {
					t.Errorf("size %d×%d, want %d×%d", gw, gh, w, h)
				}
				// stats: the Report's JSON without svg, dataURI and the
				// timings, which differ from run to run.
				stats := res.Get("stats")
				var got, want map[string]any
				json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", stats).String()), &got)
				b, _ := json.Marshal(rep)
				json.Unmarshal(b, &want)
				for _, m := range []map[string]any{got, want} {
					delete(m, "svg")
					delete(m, "dataURI")
					delete(m, "timings")
				}
				if !mapsEqual(got, want) {
					t.Errorf("stats:\n got %v\nwant %v", got, want)
				}
				if stats.Get("timings").Get("decompose").Type() != js.TypeNumber {
					t.Errorf("stats.timings = %s, want milliseconds by stage", js.Global().Get("JSON").Call("stringify", stats.Get("timings")))
				}
			})
		}
	})

	t.Run("Inputs", func(t *testing.T) {
		// ImageData.data is a Uint8ClampedArray; an ArrayBuffer is taken
		// too. Both trace as the Uint8Array does.
		want, _ := os.ReadFile(filepath.Join("testdata", "rgba.svg"))
		a := uint8Array(rgba)
		clamped := js.Global().Get("Uint8ClampedArray").New(a.Get("buffer"))
		for name, v := range map[string]js.Value{"Uint8ClampedArray": clamped, "ArrayBuffer": a.Get("buffer")} {
			res := mustResolve(t, api.Call("trace", v, w, h, 4, goldenOptions))
			if res.Get("svg").String() != string(want) {
				t.Errorf("%s: SVG differs from the Uint8Array's", name)
			}
		}
	})

	t.Run("Progress", func(t *testing.T) {
		type call struct {
			stage    string
			fraction float64
		}
		var calls []call
		onProgress := js.FuncOf(func(_ js.Value, args []js.Value) any {
			calls = append(calls, call{args[0].String(), args[1].Float()})
			return nil
		})
		defer onProgress.Release()
		mustResolve(t, api.Call("trace", uint8Array(rgba), w, h, 4, goldenOptions, onProgress))
		order := []tracecore.Stage{tracecore.StagePrepare, tracecore.StageDecompose, tracecore.StagePolygon, tracecore.StageSmooth, tracecore.StageOptimize}
		var seen []string
		last := -1
		for _, c := range calls {
			i := slices.Index(order, tracecore.Stage(c.stage))
			if i < last || i < 0 || c.fraction < 0 || c.fraction > 1 {
				t.Fatalf("progress calls out of order or range: %v", calls)
			}
			if i > last {
				seen = append(seen, c.stage)
				last = i
			}
		}
		if len(seen) != len(order) || calls[len(calls)-1] != (call{"optimize", 1}) {
			t.Errorf("progress calls %v: want every stage, in order, ending with optimize 1", calls)
		}
	})

	t.Run("CancelBeforeStart", func(t *testing.T) {
		p := api.Call("trace", uint8Array(rgba), w, h, 4, goldenOptions)
		p.Call("cancel")
		name, code, msg := mustReject(t, p)
		if name != "AbortError" || code != "cancelled" {
			t.Errorf("rejected with %s %s %q, want AbortError, code cancelled", name, code, msg)
		}
		p.Call("cancel") // after the end: nothing
	})

	t.Run("CancelMidTrace", func(t *testing.T) {
		// Cancelled from the event loop, as a Worker's message handler
		// does, while a large trace runs: the trace yields to the event
		// loop (yieldEvery) and stops at its next check.
		big, bw, bh := noise(2000, 2000)
		var p js.Value
		calls := 0
		onProgress := js.FuncOf(func(_ js.Value, args []js.Value) any { calls++; return nil })
		defer onProgress.Release()
		p = api.Call("trace", uint8Array(big), bw, bh, 1, `{"maxside": 0, "turdsize": 0}`, onProgress)
		js.Global().Call("setTimeout", p.Get("cancel"), 10)
		start := time.Now()
		name, code, msg := mustReject(t, p)
		if name != "AbortError" || code != "cancelled" {
			t.Errorf("rejected with %s %s %q, want AbortError, code cancelled", name, code, msg)
		}
		if calls == 0 {
			t.Error("no progress before the cancel")
		}
		t.Logf("cancelled after %v, %d progress calls: %s", time.Since(start), calls, msg)
	})

	t.Run("CancelFromProgress", func(t *testing.T) {
		var p js.Value
		onProgress := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if args[0].String() == "decompose" {
				p.Call("cancel")
			}
			return nil
		})
		defer onProgress.Release()
		p = api.Call("trace", uint8Array(rgba), w, h, 4, goldenOptions, onProgress)
		if name, code, msg := mustReject(t, p); name != "AbortError" || code != "cancelled" {
			t.Errorf("rejected with %s %s %q, want AbortError, code cancelled", name, code, msg)
		}
	})

	t.Run("ProgressThrows", func(t *testing.T) {
		onProgress := js.Global().Get("Function").New("stage", "throw new Error('boom at ' + stage)")
		p := api.Call("trace", uint8Array(rgba), w, h, 4, goldenOptions, onProgress)
		if _, code, msg := mustReject(t, p); code != "callback" || !contains(msg, "boom at prepare") {
			t.Errorf("rejected with code %s %q, want code callback naming the exception", code, msg)
		}
	})

	t.Run("BadOptions", func(t *testing.T) {
		// The rejection's message is tracecore's for the same options.
		for _, raw := range []string{`{"turdsize": -1}`, `{"threshold": 2}`, `{"turnpolicy": "up"}`, `{"bogus": true}`} {
			var o tracecore.Options
			want := json.Unmarshal([]byte(raw), &o)
			if want == nil {
				t.Fatalf("tracecore accepts %s", raw)
			}
			_, code, msg := mustReject(t, api.Call("trace", uint8Array(rgba), w, h, 4, raw))
			if code != "invalid_options" || msg != want.Error() {
				t.Errorf("%s: rejected with code %s %q, want invalid_options %q", raw, code, msg, want)
			}
		}
		for _, raw := range []any{`{"turdsize":`, `[1]`, 7, `{"turdsize": {}}`} {
			if _, code, msg := mustReject(t, api.Call("trace", uint8Array(rgba), w, h, 4, raw)); code != "invalid_options" {
				t.Errorf("%v: rejected with code %s %q, want invalid_options", raw, code, msg)
			}
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []any
			code string
		}{
			{"ShortBuffer", []any{uint8Array(rgba[:100]), w, h, 4}, "invalid_input"},
			{"ThreeChannels", []any{uint8Array(rgba), w, h, 3}, "invalid_input"},
			{"NotBytes", []any{"pixels", w, h, 4}, "invalid_input"},
			{"FractionalWidth", []any{uint8Array(rgba), 1.5, h, 4}, "invalid_input"},
			{"NegativeHeight", []any{uint8Array(rgba), w, -1, 4}, "invalid_input"},
			{"NoArguments", nil, "invalid_input"},
			{"TooLarge", []any{uint8Array(rgba), w, h, 4, `{"maxpixels": 100}`}, "too_large"},
			{"BadCallback", []any{uint8Array(rgba), w, h, 4, nil, 5}, "invalid_input"},
		} {
			_, code, msg := mustReject(t, api.Call("trace", tc.args...))
			if code != tc.code {
				t.Errorf("%s: rejected with code %s %q, want %s", tc.name, code, msg, tc.code)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Calls in flight together finish independently.
		want, _ := os.ReadFile(filepath.Join("testdata", "rgba.svg"))
		var ps []js.Value
		for range 4 {
			ps = append(ps, api.Call("trace", uint8Array(rgba), w, h, 4, goldenOptions))
		}
		ps[1].Call("cancel")
		for i, p := range ps {
			if i == 1 {
				mustReject(t, p)
				continue
			}
			if got := mustResolve(t, p).Get("svg").String(); got != string(want) {
				t.Errorf("call %d: SVG differs", i)
			}
		}
	})
}

// noise is a w×h grey image of pseudo-random pixels: a slow trace.
func noise(w, h int) ([]byte, int, int) {
	pix := make([]byte, w*h)
	x := uint32(2463534242)
	for i := range pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		pix[i] = byte(x)
	}
	return pix, w, h
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func mapsEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
