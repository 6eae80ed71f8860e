package tracecore

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the tracing path, native and under js/wasm alike (this file
// uses no os/exec, so `GOOS=js GOARCH=wasm go test -bench` runs it under Node).
// cmd/svgtrace-bench runs them both ways and reports wasm/native ratios and the
// per-stage figures in docs/benchmarks.md.
//
// Sub-benchmark names are the testdata/pbm file names without .pbm:
// BenchmarkTrace/picos_400, BenchmarkTrace/picos, BenchmarkStages/picos/smooth.

// benchBitmaps reads every testdata/pbm bitmap, 400 px versions first, each
// group in name order.
func benchBitmaps(b *testing.B) (names []string, bms map[string]*Bitmap) {
	b.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "pbm", "*.pbm"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no testdata bitmaps: %v", err)
	}
	bms = make(map[string]*Bitmap, len(files))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pbm")
		names = append(names, name)
		bms[name] = readBenchPBM(b, f)
	}
	sort.SliceStable(names, func(i, j int) bool {
		si, sj := strings.HasSuffix(names[i], "_400"), strings.HasSuffix(names[j], "_400")
		if si != sj {
			return si
		}
		return names[i] < names[j]
	})
	return names, bms
}

func readBenchPBM(b *testing.B, path string) *Bitmap {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bm, err := ReadPBM(f, 0)
	if err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	return bm
}

// benchBytes is what SetBytes reports for bm: its packed size, one bit a pixel,
// so MB/s reads as megabytes of PBM raster traced per second.
func benchBytes(bm *Bitmap) int64 {
	return int64(bm.Width) * int64(bm.Height) / 8
}

// BenchmarkWarmup is for running first, before the benchmarks below, in the
// same process: it traces every bitmap for at least warmupTime, so that a JIT
// (V8 running the js/wasm build, which compiles functions with a baseline
// compiler first and optimises the hot ones later) has optimised the tracer
// before anything is timed. Its figures mean nothing.
func BenchmarkWarmup(b *testing.B) {
	names, bms := benchBitmaps(b)
	opts := DefaultOptions()
	var t Tracer
	ctx := context.Background()
	trace := func(bm *Bitmap) {
		res, err := t.Trace(ctx, bm, opts)
		if err != nil {
			b.Fatal(err)
		}
		res.SVG()
	}
	for start := time.Now(); time.Since(start) < warmupTime; {
		for _, name := range names {
			trace(bms[name])
		}
	}
	for b.Loop() {
		trace(bms[names[0]])
	}
}

// warmupTime is how long BenchmarkWarmup traces before its timed loop: under
// Node 20 a second and a half of tracing is when the wasm tracer reaches its
// steady speed.
const warmupTime = 1500 * time.Millisecond

// BenchmarkTrace traces every testdata bitmap with the default options (turd
// size 2) and encodes the SVG, as `svgtrace trace` does per file, reusing one
// Tracer and one output buffer.
func BenchmarkTrace(b *testing.B) {
	names, bms := benchBitmaps(b)
	opts := DefaultOptions()
	for _, name := range names {
		bm := bms[name]
		b.Run(name, func(b *testing.B) {
			var t Tracer
			ctx := context.Background()
			// One untimed trace sizes the Tracer's scratch and the buffer:
			// the loop measures the steady state of a reused Tracer.
			res, err := t.Trace(ctx, bm, opts)
			if err != nil {
				b.Fatal(err)
			}
			buf := res.AppendSVG(nil)
			b.SetBytes(benchBytes(bm))
			b.ReportAllocs()
			for b.Loop() {
				res, err := t.Trace(ctx, bm, opts)
				if err != nil {
					b.Fatal(err)
				}
				buf = res.AppendSVG(buf[:0])
			}
		})
	}
}

// BenchmarkStages times each stage of a trace on its own, on picos_400 and the
// full-size picos, with the default options. Each stage's input is prepared
// once by running the stages before it; the stages are repeatable on that
// state (each rebuilds its output from its input).
func BenchmarkStages(b *testing.B) {
	_, bms := benchBitmaps(b)
	for _, name := range []string{"picos_400", "picos"} {
		bm := bms[name]
		if bm == nil {
			b.Fatalf("testdata/pbm/%s.pbm is missing", name)
		}
		b.Run(name, func(b *testing.B) { benchStages(b, bm) })
	}
}

func benchStages(b *testing.B, bm *Bitmap) {
	opts := DefaultOptions()
	var t Tracer
	t.ctx = context.Background()
	res := &Result{Width: bm.Width, Height: bm.Height, Options: opts}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	// Run each stage once so that the later stages have their input, then time
	// each stage in order.
	must(t.decompose(bm, &opts))
	must(t.polygons())
	must(t.smooth(opts.AlphaMax))
	must(t.optimize(res, &opts))
	stages := []struct {
		name string
		run  func() error
	}{
		{string(StageDecompose), func() error { return t.decompose(bm, &opts) }},
		{string(StagePolygon), t.polygons},
		{string(StageSmooth), func() error { return t.smooth(opts.AlphaMax) }},
		{string(StageOptimize), func() error {
			*res = Result{Width: bm.Width, Height: bm.Height, Options: opts}
			return t.optimize(res, &opts)
		}},
	}
	for _, s := range stages {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(benchBytes(bm))
			b.ReportAllocs()
			for b.Loop() {
				must(s.run())
			}
		})
	}
	b.Run(string(StageEncode), func(b *testing.B) {
		buf := res.AppendSVG(nil)
		b.SetBytes(benchBytes(bm))
		b.ReportAllocs()
		for b.Loop() {
			buf = res.AppendSVG(buf[:0])
		}
	})
}
