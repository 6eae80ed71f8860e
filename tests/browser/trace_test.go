package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/svgtrace/svgtrace/tracecore"
)

// The test pattern's size: small enough to trace instantly, large enough
// for curves, holes and the downscaling case.
const patternW, patternH = 64, 48

// pattern returns w×h RGBA pixels, not premultiplied: a dark disc with a
// hole, a ring, a diagonal bar and a grey ramp, with a translucent corner,
// so that thresholding, alpha and curve fitting all matter.
func pattern(w, h int) []byte {
	pix := make([]byte, 4*w*h)
	for y := range h {
		for x := range w {
			v := 40 + (x*150)/w + (y*40)/h // the ramp
			d1 := (x-20)*(x-20) + (y-22)*(y-22)
			d2 := (x-46)*(x-46) + (y-30)*(y-30)
			switch {
			case d1 < 5*5:
				v = 235 // the hole
			case d1 < 15*15:
				v = 20
			case d2 >= 7*7 && d2 < 11*11:
				v = 30
			case x-y > 30 && x-y < 36:
				v = 60
			}
			a := 255
			if x > w-12 && y < 12 {
				a = 255 - 18*(12-y) // translucent corner
			}
			i := 4 * (y*w + x)
			pix[i], pix[i+1], pix[i+2], pix[i+3] = byte(v), byte(v*3/4), byte(255-v/2), byte(a)
		}
	}
	return pix
}

// openTracer loads the blank test page, runs the script prelude, imports
// the module and creates a tracer as window.tracer.
func openTracer(t *testing.T, ctx context.Context, prelude string) {
	t.Helper()
	if _, err := chromedp.Run(step(t, ctx), chromedp.Navigate(serverURL+"/_test/blank.html")); err != nil {
		t.Fatalf("load the test page: %v", err)
	}
	v, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](`(async () => {`+prelude+`
		const {createTracer} = await import('/svgtrace.js');
		window.tracer = await createTracer();
		return window.tracer.version;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("createTracer: %v", jsError(err))
	}
	t.Logf("tracer ready: svgtrace %s", v)
}

// TestByteIdentity traces fixed RGBA pixels with the module in Chromium and
// with native tracecore, and compares the SVGs byte for byte.
func TestByteIdentity(t *testing.T) {
	ctx := newBrowser(t)
	openTracer(t, ctx, "")
	pix := pattern(patternW, patternH)

	for _, tc := range []struct {
		name    string
		options string // JSON over the placeholder preset, "" for none
		set     func(*tracecore.Options)
	}{
		{"Placeholder", "", func(*tracecore.Options) {}},
		{"Explicit", `{"threshold":0.45,"turdsize":0,"alphamax":1,"opttolerance":0.2,"precision":2,"color":"#336699","maxside":0}`,
			func(o *tracecore.Options) {
				o.Threshold, o.TurdSize, o.AlphaMax, o.OptTolerance, o.Precision, o.Color, o.MaxSide = 0.45, 0, 1, 0.2, 2, "#336699", 0
			}},
		{"Downscaled", `{"maxside":40,"threshold":0.5,"turdsize":0}`, func(o *tracecore.Options) { o.MaxSide, o.Threshold, o.TurdSize = 40, 0.5, 0 }},
		{"Posterized", `{"steps":3,"background":"#ffffff"}`, func(o *tracecore.Options) { o.Steps, o.Background = 3, "#ffffff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tracecore.PlaceholderOptions()
			tc.set(&opts)
			want := native(t, pix, opts)

			optsJS := "undefined"
			if tc.options != "" {
				optsJS = tc.options
			}
			var got struct {
				SVG     string `json:"svg"`
				DataURI string `json:"dataURI"`
				Width   int    `json:"width"`
				Height  int    `json:"height"`
			}
			res, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
				const buf = await (await fetch('/_test/pattern.rgba')).arrayBuffer();
				const img = new ImageData(new Uint8ClampedArray(buf), %d, %d);
				const r = await window.tracer.trace(img, %s);
				return JSON.stringify({svg: r.svg, dataURI: r.dataURI, width: r.width, height: r.height});
			})()`, patternW, patternH, optsJS), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("trace in chromium: %v", jsError(err))
			}
			if err := json.Unmarshal([]byte(res), &got); err != nil {
				t.Fatal(err)
			}
			if got.SVG != want.SVG {
				t.Errorf("the SVGs differ at byte %d:\nchromium: %s\nnative:   %s", firstDiff(got.SVG, want.SVG), got.SVG, want.SVG)
			}
			if got.DataURI != want.DataURI {
				t.Errorf("the data URIs differ at byte %d", firstDiff(got.DataURI, want.DataURI))
			}
			if got.Width != patternW || got.Height != patternH {
				t.Errorf("size %d×%d, want %d×%d", got.Width, got.Height, patternW, patternH)
			}
			if !strings.Contains(want.SVG, "<path") {
				t.Errorf("the pattern traced to no path: %s", want.SVG)
			}
		})
	}
}

// native traces pix with tracecore's raw-pixel API.
func native(t *testing.T, pix []byte, opts tracecore.Options) tracecore.Report {
	t.Helper()
	img, err := tracecore.FromRGBA(append([]byte(nil), pix...), patternW, patternH, opts.MaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	res, err := new(tracecore.Tracer).TraceImage(context.Background(), img, opts)
	if err != nil {
		t.Fatalf("native trace: %v", err)
	}
	return res.Report()
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestCancel aborts a large trace in the Worker after its first progress
// report from the wasm, and checks the call rejects with an AbortError, the
// Worker stops the trace (it answers "cancelled", never a result) and the
// tracer traces again afterwards.
func TestCancel(t *testing.T) {
	ctx := newBrowser(t)
	// Watch the Worker's messages beside the tracer: wrap Worker before the
	// module creates one.
	openTracer(t, ctx, `
		window.seen = [];
		const W = window.Worker;
		window.Worker = class extends W {
			constructor(...a) { super(...a); this.addEventListener('message', (e) => window.seen.push(e.data)); }
		};`)

	// 2400×2400 pixels of noise, untraced at full size with no speckle
	// filter: hundreds of thousands of paths, seconds of work.
	res, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](`(async () => {
		const w = 2400, h = 2400, px = new Uint8ClampedArray(4 * w * h);
		let s = 12345;
		for (let i = 0; i < w * h; i++) {
			s = (Math.imul(s, 1103515245) + 12345) >>> 0;
			const v = (s >>> 16) & 255;
			px[4*i] = px[4*i+1] = px[4*i+2] = v; px[4*i+3] = 255;
		}
		const ctl = new AbortController();
		let stages = [];
		const t0 = performance.now();
		const p = window.tracer.trace(new ImageData(px, w, h), {maxside: 0, turdsize: 0, threshold: 0.5}, {
			signal: ctl.signal,
			onProgress: (stage, f) => { stages.push(stage); if (stage !== 'decode' && !ctl.signal.aborted) setTimeout(() => ctl.abort(), 200); },
		});
		let abortedAt = 0;
		ctl.signal.addEventListener('abort', () => { abortedAt = performance.now(); });
		try {
			await p;
			return JSON.stringify({outcome: 'resolved', stages});
		} catch (e) {
			return JSON.stringify({outcome: 'rejected', name: e.name, code: e.code, message: e.message,
				rejectMs: performance.now() - abortedAt, sinceStart: abortedAt - t0, stages: stages.slice(0, 5)});
		}
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("large trace: %v", jsError(err))
	}
	var out struct {
		Outcome, Name, Code, Message string
		RejectMs, SinceStart         float64
		Stages                       []string
	}
	if err := json.Unmarshal([]byte(res), &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("large trace: %s", res)
	if out.Outcome != "rejected" || out.Name != "AbortError" || out.Code != "cancelled" {
		t.Fatalf("aborted trace: %s %s %q, want rejected with AbortError, code cancelled", out.Outcome, out.Name, out.Code)
	}
	if out.RejectMs > 1000 {
		t.Errorf("rejected %.0f ms after the abort", out.RejectMs)
	}

	// The Worker's side: the wasm stops the trace and answers "cancelled".
	start := time.Now()
	workerSaid, err := chromedp.Run(step(t, ctx), chromedp.Poll[string](`(() => {
		const m = window.seen.find((m) => m.id === 1 && (m.type === 'result' || m.type === 'error'));
		return m ? JSON.stringify(m) : '';
	})()`))
	if err != nil {
		t.Fatalf("the Worker never finished the cancelled trace: %v", err)
	}
	t.Logf("the Worker answered %v after the rejection: %s", time.Since(start).Round(time.Millisecond), workerSaid)
	if !strings.Contains(workerSaid, `"code":"cancelled"`) {
		t.Errorf("the Worker answered %s, want an error with code cancelled", workerSaid)
	}

	// The tracer still works.
	svg, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
		const buf = await (await fetch('/_test/pattern.rgba')).arrayBuffer();
		return (await window.tracer.trace(new ImageData(new Uint8ClampedArray(buf), %d, %d))).svg;
	})()`, patternW, patternH), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("trace after the cancel: %v", jsError(err))
	}
	if want := native(t, pattern(patternW, patternH), tracecore.PlaceholderOptions()).SVG; svg != want {
		t.Errorf("trace after the cancel differs from native:\n%s\n%s", svg, want)
	}
	screenshot(t, ctx, "cancel")
}

// TestErrors checks that rejections are Errors carrying the codes of the
// wasm module and of the embed module.
func TestErrors(t *testing.T) {
	ctx := newBrowser(t)
	openTracer(t, ctx, "")
	for _, tc := range []struct{ name, call, code string }{
		{"UnknownOption", `tracer.trace(new ImageData(4, 4), {bogus: 1})`, "invalid_options"},
		{"BadThreshold", `tracer.trace(new ImageData(4, 4), {threshold: 2})`, "invalid_options"},
		{"NotAnImage", `tracer.trace('photo.jpg')`, "invalid_input"},
		{"Undecodable", `tracer.trace(new Blob(['not an image'], {type: 'image/png'}))`, "decode"},
		{"TooLarge", `tracer.trace(new ImageData(64, 64), {maxpixels: 100})`, "too_large"},
		{"Aborted", `tracer.trace(new ImageData(4, 4), null, {signal: AbortSignal.abort()})`, "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](`(async () => {
				try { await window.`+tc.call+`; return 'resolved'; }
				catch (e) { return (e instanceof Error ? 'Error ' : 'not an Error ') + e.name + ' ' + e.code + ': ' + e.message; }
			})()`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(jsError(err))
			}
			t.Log(got)
			if !strings.HasPrefix(got, "Error ") || !strings.Contains(got, " "+tc.code+": ") {
				t.Errorf("%s: %s, want an Error with code %s", tc.call, got, tc.code)
			}
		})
	}
	// After all that, the tracer still traces.
	if _, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](`tracer.trace(new ImageData(8, 8)).then((r) => r.svg)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Errorf("trace after the errors: %v", jsError(err))
	}
}
