//go:build js && wasm

package jsapi

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"syscall/js"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Pacing of a running trace. A trace runs on a goroutine, but js/wasm has
// one thread: Go code runs until every goroutine blocks, and the JavaScript
// event loop (the Worker's message handler, and so cancel) waits meanwhile.
const (
	// progressEvery is the least time between two progress calls within a
	// stage: 20 calls a second is smooth for a progress bar and keeps
	// postMessage traffic from a Worker negligible. A stage's start (0) and
	// end (1) are always reported.
	progressEvery = 50 * time.Millisecond
	// yieldEvery is how long a trace runs before it sleeps to hand the
	// thread back to the event loop, so that a cancel message reaching the
	// Worker is handled within about this long. A yield costs a timer
	// (1 ms, clamped to 4 ms by browsers for nested timers): at most 4 %.
	// A placeholder trace (a few ms) never yields. TestTrace/CancelMidTrace
	// depends on yields happening.
	yieldEvery = 100 * time.Millisecond
	yieldFor   = time.Millisecond
)

// A Job is the work of one call: trace with t, whose OnProgress is set, under
// ctx and with opts. It runs on its own goroutine.
type Job func(ctx context.Context, t *tracecore.Tracer, opts tracecore.Options) (*tracecore.Result, error)

// Register installs the API as global.svgtrace and returns it: version and
// trace (see wasm/browser). A build adds functions to the returned object.
func Register(global js.Value) js.Value {
	api := object()
	api.Set("version", Version())
	api.Set("trace", js.FuncOf(trace))
	global.Set("svgtrace", api)
	return api
}

// version is svgtrace.version: "devel", or what the build sets with
// -ldflags=-X (wasm/build: the module version, or git describe's). Not
// runtime/debug.ReadBuildInfo, which costs 16 KB of code.
var version = "devel"

// Version returns svgtrace.version.
func Version() string { return version }

// trace(pixels, width, height, channels, options, onProgress, imageSize).
func trace(_ js.Value, args []js.Value) any {
	opts, err := Options(arg(args, 4))
	if err != nil {
		return Rejected(err)
	}
	onProgress, err := Callback(arg(args, 5))
	if err != nil {
		return Rejected(err)
	}
	var w, h, ch int
	for i, p := range []*int{&w, &h, &ch} {
		if *p, err = integer(arg(args, 1+i), [...]string{"width", "height", "channels"}[i]); err != nil {
			return Rejected(err)
		}
	}
	if ch != 1 && ch != 4 {
		return Rejected(fmt.Errorf("%w: channels %d is not 1 (grey) or 4 (RGBA)", tracecore.ErrInvalidInput, ch))
	}
	// imageSize {width, height}: the pixels are a copy the browser
	// downscaled from an image of that size, which the SVG keeps as its
	// width and height (tracecore.Reduced), as the backend does for a JPEG
	// decoded at reduced scale.
	var fullW, fullH int
	if size := arg(args, 6); !size.IsUndefined() && !size.IsNull() {
		if size.Type() != js.TypeObject {
			return Rejected(fmt.Errorf("%w: imageSize must be {width, height}", tracecore.ErrInvalidInput))
		}
		if fullW, err = integer(size.Get("width"), "imageSize.width"); err != nil {
			return Rejected(err)
		}
		if fullH, err = integer(size.Get("height"), "imageSize.height"); err != nil {
			return Rejected(err)
		}
		if fullW < w || fullH < h {
			return Rejected(fmt.Errorf("%w: imageSize %d×%d is smaller than the pixels' %d×%d", tracecore.ErrInvalidInput, fullW, fullH, w, h))
		}
	}
	// Size before length: a too-large image is ErrTooLarge whatever its
	// buffer, and nothing is copied for it.
	if err := tracecore.CheckSize(w, h, opts.MaxPixels); err != nil {
		return Rejected(fmt.Errorf("pixels: %w", err))
	}
	src, err := byteArray(arg(args, 0), "pixels")
	if err != nil {
		return Rejected(err)
	}
	if n := src.Get("length").Int(); int64(n) != int64(w)*int64(h)*int64(ch) {
		return Rejected(fmt.Errorf("%w: pixels has %d bytes for %d×%d pixels of %d bytes", tracecore.ErrInvalidInput, n, w, h, ch))
	}
	pix := takePixels(src.Get("length").Int())
	js.CopyBytesToGo(pix, src)
	return Start(opts, onProgress, func(ctx context.Context, t *tracecore.Tracer, opts tracecore.Options) (*tracecore.Result, error) {
		defer putPixels(pix) // the Result holds no reference to the pixels
		var (
			m   image.Image
			err error
		)
		if ch == 4 {
			m, err = tracecore.FromRGBA(pix, w, h, opts.MaxPixels)
		} else {
			m, err = tracecore.FromGray(pix, w, h, opts.MaxPixels)
		}
		if err != nil {
			return nil, err
		}
		if fullW > 0 {
			m = &tracecore.Reduced{Image: m, Width: fullW, Height: fullH}
		}
		return t.TraceImage(ctx, m, opts)
	})
}

// A cancelCtx is the context of one call: context.WithCancel's behaviour,
// without the context package's machinery for trees of contexts, which
// costs 18 KB of code (tracecore only polls Err).
type cancelCtx struct{ done chan struct{} }

func newCancelCtx() *cancelCtx                               { return &cancelCtx{done: make(chan struct{})} }
func (c *cancelCtx) Deadline() (deadline time.Time, ok bool) { return }
func (c *cancelCtx) Done() <-chan struct{}                   { return c.done }
func (c *cancelCtx) Value(key any) any                       { return nil }
func (c *cancelCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// cancel cancels c; later calls do nothing.
func (c *cancelCtx) cancel() {
	if c.Err() == nil {
		close(c.done)
	}
}

// The calls in flight, by id: their contexts.
var (
	jobs   = map[int]*cancelCtx{}
	lastID int
	// cancelJob is every handle's cancel, bound to the handle's id: one Go
	// function for all calls, so none has to be released while JavaScript
	// may still hold it.
	cancelJob = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if id := arg(args, 0); id.Type() == js.TypeNumber {
			if ctx := jobs[id.Int()]; ctx != nil {
				ctx.cancel()
			}
		}
		return nil
	})
)

// Start runs job on its own goroutine and returns its handle: a Promise of
// the result object, with a cancel() method that cancels job's context. The
// job starts in a microtask, after the calling JavaScript has its handle, so
// the call itself never blocks; onProgress (a function, or undefined) gets
// (stage, fraction) as the trace advances.
//
// js/wasm runs one goroutine at a time (none is preempted), so jobs and
// lastID need no lock: they are touched only between blocking points.
func Start(opts tracecore.Options, onProgress js.Value, job Job) js.Value {
	p, resolve, reject := newPromise()
	ctx := newCancelCtx()
	lastID++
	id := lastID
	jobs[id] = ctx
	p.Set("cancel", cancelJob.Call("bind", js.Null(), id))
	var start js.Func
	start = js.FuncOf(func(js.Value, []js.Value) any {
		start.Release()
		go func() {
			defer func() {
				delete(jobs, id)
			}()
			res, err := run(ctx, opts, onProgress, job)
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			v, err := resultValue(res)
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	js.Global().Call("queueMicrotask", start)
	return p
}

// errInternal marks a failure that is svgtrace's bug, not the input's: a
// panic in tracecore, or a result that does not encode.
var errInternal = errors.New("svgtrace: internal error")

// errCallback marks an exception thrown by onProgress; the trace stops.
var errCallback = errors.New("svgtrace: onProgress threw")

// run runs job with a Tracer reporting to onProgress, and turns a panic into
// an error: a panic would end the Go program and with it every later call.
func run(ctx *cancelCtx, opts tracecore.Options, onProgress js.Value, job Job) (res *tracecore.Result, err error) {
	pc := &pacer{fn: onProgress, cancel: ctx.cancel, lastYield: time.Now()}
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: %v", errInternal, r)
		}
		if pc.failed != nil {
			res, err = nil, pc.failed
		}
	}()
	t := takeTracer()
	t.OnProgress = pc.progress
	res, err = job(ctx, t, opts)
	putTracer(t) // not after a panic: that Tracer's state is unknown
	return res, err
}

// idle holds the Tracers of finished calls: a Worker tracing one image
// after another reuses one Tracer's scratch memory, as tracecore intends.
// Calls in flight together each take their own.
var idle []*tracecore.Tracer

func takeTracer() *tracecore.Tracer {
	if n := len(idle); n > 0 {
		t := idle[n-1]
		idle = idle[:n-1]
		return t
	}
	return new(tracecore.Tracer)
}

// putTracer keeps t for the next call, unless a few are kept already (a
// burst of overlapping calls leaves no more than that behind).
func putTracer(t *tracecore.Tracer) {
	t.OnProgress = nil
	if len(idle) < maxIdle {
		idle = append(idle, t)
	}
}

// idlePixels holds the pixel buffers of finished calls: a 400×300 image's
// RGBA is 480 KB, and allocating it for every call of a Worker tracing one
// image after another grows and collects the heap, which costs js/wasm
// about as much as the copy itself.
var idlePixels [][]byte

// takePixels returns a buffer of n bytes, an idle one if one is big enough.
func takePixels(n int) []byte {
	for i, b := range idlePixels {
		if cap(b) >= n {
			idlePixels = append(idlePixels[:i], idlePixels[i+1:]...)
			return b[:n]
		}
	}
	return make([]byte, n)
}

// putPixels keeps b for a later call, unless maxIdle buffers are kept or b
// is larger than maxIdlePixels.
func putPixels(b []byte) {
	if len(idlePixels) < maxIdle && cap(b) <= maxIdlePixels {
		idlePixels = append(idlePixels, b)
	}
}

// maxIdlePixels is the largest pixel buffer kept: a megapixel of RGBA
// covers every placeholder-sized trace, while the buffer of a full-size
// trace of a large photo is given back to the heap rather than held for
// the Worker's lifetime.
const maxIdlePixels = 4 << 20

// maxIdle bounds idle and idlePixels: two covers a Worker that prepares the next trace
// while one runs.
const maxIdle = 2

// A pacer forwards a Tracer's progress to JavaScript at most every
// progressEvery within a stage, and yields the thread every yieldEvery.
type pacer struct {
	fn        js.Value // a function, or undefined
	cancel    func()
	stage     tracecore.Stage
	lastSent  time.Time
	lastYield time.Time
	failed    error
}

func (p *pacer) progress(stage tracecore.Stage, fraction float64) {
	now := time.Now()
	if p.fn.Type() == js.TypeFunction && p.failed == nil &&
		(stage != p.stage || fraction == 0 || fraction >= 1 || now.Sub(p.lastSent) >= progressEvery) {
		p.stage, p.lastSent = stage, now
		p.call(stage, fraction)
	}
	if now.Sub(p.lastYield) >= yieldEvery {
		time.Sleep(yieldFor) // the event loop runs: cancel can arrive
		p.lastYield = time.Now()
	}
}

// call calls onProgress; if it throws, the trace is cancelled and rejects
// with the exception's message.
func (p *pacer) call(stage tracecore.Stage, fraction float64) {
	defer func() {
		if r := recover(); r != nil {
			p.failed = fmt.Errorf("%w: %v", errCallback, r)
			p.cancel()
		}
	}()
	p.fn.Invoke(string(stage), fraction)
}

// resultValue is the object a trace resolves to:
// {svg, dataURI, width, height, stats}.
func resultValue(res *tracecore.Result) (js.Value, error) {
	rep := res.Report()
	v := object()
	v.Set("svg", rep.SVG)
	v.Set("dataURI", rep.DataURI)
	v.Set("width", rep.Width)
	v.Set("height", rep.Height)
	v.Set("stats", objectOf(Stats(rep)))
	return v, nil
}

// objectOf makes a JavaScript object of fs, in order; a value that is
// []Field becomes an object too.
func objectOf(fs []Field) js.Value {
	o := object()
	for _, f := range fs {
		if sub, ok := f.Value.([]Field); ok {
			o.Set(f.Name, objectOf(sub))
		} else {
			o.Set(f.Name, f.Value)
		}
	}
	return o
}

func object() js.Value { return js.Global().Get("Object").New() }

// newPromise returns a new Promise and its resolve and reject functions.
// (Promise.withResolvers is not in Node 20.)
func newPromise() (p, resolve, reject js.Value) {
	exec := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject = args[0], args[1]
		return nil
	})
	p = js.Global().Get("Promise").New(exec) // calls exec at once
	exec.Release()
	return p, resolve, reject
}

// Rejected returns a handle, like Start's, already rejected with err.
func Rejected(err error) js.Value {
	p, _, reject := newPromise()
	p.Set("cancel", cancelJob.Call("bind", js.Null(), 0)) // no job 0: a no-op
	reject.Invoke(jsError(err))
	return p
}

// jsError turns err into a JavaScript Error whose message is err's text
// (tracecore's own, naming what was wrong), with a code property saying
// the kind; a cancelled trace's name is "AbortError", as fetch's is.
func jsError(err error) js.Value {
	name, code := "Error", "internal"
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		name, code = "AbortError", "cancelled"
	case errors.Is(err, tracecore.ErrInvalidOptions):
		code = "invalid_options"
	case errors.Is(err, tracecore.ErrTooLarge):
		code = "too_large"
	case errors.Is(err, tracecore.ErrCorrupt):
		code = "corrupt"
	case errors.Is(err, tracecore.ErrUnsupported):
		code = "unsupported"
	case errors.Is(err, tracecore.ErrInvalidInput):
		code = "invalid_input"
	case errors.Is(err, errCallback):
		code = "callback"
	}
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", name)
	e.Set("code", code)
	return e
}

// Options reads an options argument: undefined, null or "" for the
// placeholder preset, an object of options, or the same as JSON text; its
// fields are set by ParseOptions.
func Options(v js.Value) (tracecore.Options, error) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return ParseOptions(nil)
	case js.TypeString:
		if strings.TrimSpace(v.String()) == "" {
			return ParseOptions(nil)
		}
		var err error
		if v, err = parseJSON(v); err != nil {
			return tracecore.Options{}, err
		}
	}
	if v.Type() != js.TypeObject || js.Global().Get("Array").Call("isArray", v).Bool() {
		return tracecore.Options{}, fmt.Errorf("%w: options must be an object of trace options (tracecore's JSON names), or its JSON", tracecore.ErrInvalidOptions)
	}
	keys := js.Global().Get("Object").Call("keys", v)
	fields := make([]Field, keys.Length())
	for i := range fields {
		name := keys.Index(i).String()
		x, err := goValue(v.Get(name), true)
		if err != nil {
			return tracecore.Options{}, fmt.Errorf("%w: %s %v", tracecore.ErrInvalidOptions, name, err)
		}
		fields[i] = Field{name, x}
	}
	return ParseOptions(fields)
}

// parseJSON is JSON.parse(s), its SyntaxError an error.
func parseJSON(s js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: options are not JSON: %v", tracecore.ErrInvalidOptions, r)
		}
	}()
	return js.Global().Get("JSON").Call("parse", s), nil
}

// goValue converts an option's value for ParseOptions: a number, string,
// boolean, null or undefined, or (top, for thresholds) an array of those.
func goValue(v js.Value, top bool) (any, error) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return nil, nil
	case js.TypeNumber:
		return v.Float(), nil
	case js.TypeString:
		return v.String(), nil
	case js.TypeBoolean:
		return v.Bool(), nil
	case js.TypeObject:
		if top && js.Global().Get("Array").Call("isArray", v).Bool() {
			a := make([]any, v.Length())
			for i := range a {
				x, err := goValue(v.Index(i), false)
				if err != nil {
					return nil, err
				}
				a[i] = x
			}
			return a, nil
		}
	}
	return nil, fmt.Errorf("must not be %s", v.Type())
}

// Callback reads an onProgress argument: a function, or undefined or null
// for none (undefined is returned).
func Callback(v js.Value) (js.Value, error) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return js.Undefined(), nil
	case js.TypeFunction:
		return v, nil
	}
	return js.Value{}, fmt.Errorf("%w: onProgress must be a function, not %s", tracecore.ErrInvalidInput, v.Type())
}

// Bytes copies a Uint8Array, Uint8ClampedArray or ArrayBuffer argument into
// Go memory.
func Bytes(v js.Value, name string) ([]byte, error) {
	a, err := byteArray(v, name)
	if err != nil {
		return nil, err
	}
	b := make([]byte, a.Get("length").Int())
	js.CopyBytesToGo(b, a)
	return b, nil
}

// byteArray returns v as a Uint8Array or Uint8ClampedArray (ImageData.data
// is one), wrapping an ArrayBuffer without copying.
func byteArray(v js.Value, name string) (js.Value, error) {
	if v.Type() == js.TypeObject {
		if v.InstanceOf(js.Global().Get("Uint8Array")) || v.InstanceOf(js.Global().Get("Uint8ClampedArray")) {
			return v, nil
		}
		if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
			return js.Global().Get("Uint8Array").New(v), nil
		}
	}
	return js.Value{}, fmt.Errorf("%w: %s must be a Uint8Array, Uint8ClampedArray or ArrayBuffer", tracecore.ErrInvalidInput, name)
}

// integer reads a whole-number argument.
func integer(v js.Value, name string) (int, error) {
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("%w: %s must be a number, not %s", tracecore.ErrInvalidInput, name, v.Type())
	}
	f := v.Float()
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 { // NaN fails the first test
		return 0, fmt.Errorf("%w: %s %v is not a whole number", tracecore.ErrInvalidInput, name, f)
	}
	return int(f), nil
}

// Arg returns args[i], or undefined past the end.
func Arg(args []js.Value, i int) js.Value { return arg(args, i) }

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}
