package main

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want Summary
	}{
		{[]float64{3}, Summary{3, 3, 3, 1}},
		{[]float64{5, 1, 3}, Summary{3, 1, 5, 3}},
		{[]float64{4, 1, 3, 2}, Summary{2.5, 1, 4, 4}},
		{[]float64{2, 2, 9, 1, 2}, Summary{2, 1, 9, 5}},
	} {
		in := append([]float64(nil), tc.in...)
		if got := summarize(tc.in); got != tc.want {
			t.Errorf("summarize(%v) = %+v, want %+v", in, got, tc.want)
		}
		if !reflect.DeepEqual(tc.in, in) {
			t.Errorf("summarize reordered its input: %v", tc.in)
		}
	}
	if s := summarize(nil); s.N != 0 || !math.IsNaN(s.Median) || !math.IsNaN(s.Min) || !math.IsNaN(s.Max) {
		t.Errorf("summarize(nil) = %+v, want NaNs", s)
	}
}

func TestPairRatios(t *testing.T) {
	got := pairRatios([]float64{10, 30, 8, 99}, []float64{5, 20, 8})
	if want := []float64{2, 1.5, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("pairRatios = %v, want %v", got, want)
	}
	// The median of ratios is not the ratio of medians: pairs are kept together.
	a, b := []float64{1, 10, 100}, []float64{2, 5, 50}
	if got := median(pairRatios(a, b)); got != 2 {
		t.Errorf("median of pair ratios = %v, want 2", got)
	}
}

func TestGeomean(t *testing.T) {
	if got := geomean([]float64{1, 4, 16}); math.Abs(got-4) > 1e-12 {
		t.Errorf("geomean = %v, want 4", got)
	}
	if !math.IsNaN(geomean(nil)) {
		t.Error("geomean(nil) is not NaN")
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtMs(312.4), "312 ms"},
		{fmtMs(34.25), "34.2 ms"},
		{fmtMs(3.7198), "3.72 ms"},
		{fmtMs(0.12921), "0.129 ms"},
		{fmtMs(0.017416), "0.0174 ms"},
		{fmtMs(math.NaN()), "n/a ms"},
		{fmtRatio(1.126), "1.13×"},
		{fmtRatio(math.Inf(1)), "n/a"},
		{fmtRatioRange(summarize([]float64{1.1, 1.3, 0.9})), "1.10× (0.90–1.30)"},
		{fmtRange(summarize([]float64{20, 10, 30}), fmtMs), "20.0 ms (10.0 ms–30.0 ms)"},
		{fmtRange(summarize(nil), fmtMs), "n/a"},
		{fmtKB(48536), "47.4 MiB"},
		{fmtKB(110648), "108 MiB"},
		{fmtInt(0), "0"},
		{fmtInt(999), "999"},
		{fmtInt(1000), "1,000"},
		{fmtInt(2401495), "2,401,495"},
		{fmtInt(-1234567), "-1,234,567"},
		{fmtPct(1.4836), "1.484 %"},
		{fmtMem(-1), "n/a"},
		{fmtMem(135168), "135,168"},
		{shellQuote("^$"), `'^$'`},
		{shellQuote("it's"), `'it'\''s'`},
		{shellQuote("-test.benchtime"), "-test.benchtime"},
		{shellJoin([]string{"potrace", "-s", "-t", "2", "a b.pbm"}), "potrace -s -t 2 'a b.pbm'"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

const nativeOut = `goos: linux
goarch: amd64
pkg: github.com/svgtrace/svgtrace/tracecore
cpu: AMD EPYC
BenchmarkTrace/opencv-logo_400-2         	     387	   2613735 ns/op	   5.78 MB/s	   13695 B/op	       6 allocs/op
BenchmarkTrace/opencv-logo-2             	     195	   5930857 ns/op	  10.04 MB/s	   21719 B/op	       6 allocs/op
BenchmarkStages/picos/polygon-2               	       7	 158903376 ns/op	   6.29 MB/s	       0 B/op	       0 allocs/op
BenchmarkNoMem-2	1000	1234.5 ns/op
BenchmarkCancelLatency-2   	       3	 612345678 ns/op	         0.56 cancel-ms	         1.40 worst-cancel-ms	    6000 B/op	      12 allocs/op
BenchmarkFails-2 --- FAIL: BenchmarkFails-2
BenchmarkTrace/opencv-logo_400-2         	     400	   2600000 ns/op	   5.80 MB/s	   13695 B/op	       6 allocs/op
some log line
PASS
ok  	github.com/svgtrace/svgtrace/tracecore	24.051s
`

const wasmOut = `goos: js
goarch: wasm
BenchmarkTrace/opencv-logo_400         	     187	   5849763 ns/op	   2.58 MB/s	   14336 B/op	       6 allocs/op
BenchmarkTrace/opencv-logo         	      85	  13805881 ns/op	   4.31 MB/s	   24927 B/op	       6 allocs/op
PASS
`

func TestParseBench(t *testing.T) {
	got := parseBench(nativeOut)
	want := []BenchLine{
		{"BenchmarkTrace/opencv-logo_400", 387, 2613735, 5.78, 13695, 6, nil},
		{"BenchmarkTrace/opencv-logo", 195, 5930857, 10.04, 21719, 6, nil},
		{"BenchmarkStages/picos/polygon", 7, 158903376, 6.29, 0, 0, nil},
		{"BenchmarkNoMem", 1000, 1234.5, 0, -1, -1, nil},
		{"BenchmarkCancelLatency", 3, 612345678, 0, 6000, 12, map[string]float64{"cancel-ms": 0.56, "worst-cancel-ms": 1.40}},
		{"BenchmarkTrace/opencv-logo_400", 400, 2600000, 5.80, 13695, 6, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseBench(native) =\n%+v\nwant\n%+v", got, want)
	}
	w := parseBench(wasmOut)
	if len(w) != 2 || w[0].Name != "BenchmarkTrace/opencv-logo_400" || w[1].Name != "BenchmarkTrace/opencv-logo" || w[1].NsPerOp != 13805881 {
		t.Errorf("parseBench(wasm) = %+v", w)
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkTrace/picos-2":         "BenchmarkTrace/picos",
		"BenchmarkTrace/picos-16":        "BenchmarkTrace/picos",
		"BenchmarkTrace/opencv-logo":     "BenchmarkTrace/opencv-logo",
		"BenchmarkTrace/opencv-logo_400": "BenchmarkTrace/opencv-logo_400",
		"BenchmarkX-":                    "BenchmarkX-",
		"BenchmarkX":                     "BenchmarkX",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDropBench(t *testing.T) {
	in := []BenchLine{{Name: "BenchmarkWarmup"}, {Name: "A", N: 1}, {Name: "B", N: 1}}
	got := dropBench(in, "BenchmarkWarmup")
	want := []BenchLine{{Name: "A", N: 1}, {Name: "B", N: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dropBench = %+v, want %+v", got, want)
	}
}

func lines(name string, ns ...float64) []BenchLine {
	var ls []BenchLine
	for _, v := range ns {
		ls = append(ls, BenchLine{Name: name, N: 10, NsPerOp: v, BytesPerOp: 100, AllocsPerOp: 2})
	}
	return ls
}

// testReport is a report with made-up figures.
func testReport() *Report {
	bc := &BenchComparison{NativeCmd: "native-cmd", WasmCmd: "wasm-cmd"}
	var native, wasm []BenchLine
	native = append(native, lines("BenchmarkTrace/picos_400", 1e6, 2e6, 1e6)...)
	wasm = append(wasm, lines("BenchmarkTrace/picos_400", 2e6, 2e6, 3e6)...) // ratios 2, 1, 3
	native = append(native, lines("BenchmarkTrace/picos", 1e8, 1e8, 1e8)...)
	wasm = append(wasm, lines("BenchmarkTrace/picos", 4e8, 4e8, 5e8)...) // ratios 4, 4, 5
	native = append(native, lines("BenchmarkStages/picos/decompose", 1e7, 1e7, 1e7)...)
	wasm = append(wasm, lines("BenchmarkStages/picos/decompose", 2e7, 2e7, 2e7)...)
	native = append(native, lines("BenchmarkStages/picos/polygon", 3e7, 3e7, 3e7)...)
	wasm = append(wasm, lines("BenchmarkStages/picos/polygon", 6e7, 6e7, 6e7)...)
	bc.add(native, wasm)
	return &Report{
		Date:           time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Elapsed:        95 * time.Second,
		Command:        "go run ./backend/cmd/svgtrace-bench -o docs/benchmarks.md",
		CPU:            "Test CPU",
		NumCPU:         2,
		Platform:       "linux/amd64",
		GoVersion:      "go1.26.0",
		PotraceVersion: "potrace 1.16.",
		Settings:       "made up",
		Load:           "0.50 at the start, 0.70 at the end",
		Procs: []*ProcCase{
			{
				Label: "5 files at 400 px", Name: "400", Turd: 2, Target: target400,
				SvgCmd: "svgtrace trace -t 2 a_400.pbm", PotCmd: "potrace -s -t 2 a_400.pbm",
				SvgWall: []float64{12, 11, 13}, PotWall: []float64{10, 10, 10}, // ratios 1.2, 1.1, 1.3
				SvgRSS: []float64{3000, 3000, 3000}, PotRSS: []float64{5000, 5000, 5000}, FloorKB: 3100,
				Files: []FileResult{{Name: "a_400.pbm", Turd: 2, SvgBytes: 1234, PotBytes: 2000, SvgGzip: 500, PotGzip: 1000,
					SvgMismatch: 1.5, PotMismatch: math.NaN()}},
			},
			{
				Label: "picos.pbm", Name: "picos", Turd: 2, Target: targetFull,
				SvgCmd: "svgtrace trace -t 2 picos.pbm -o out.svg", PotCmd: "potrace -s -t 2 picos.pbm -o out.svg",
				SvgWall: []float64{300, 260}, PotWall: []float64{200, 200}, // ratios 1.5, 1.3
				SvgRSS: []float64{51200, 51200}, PotRSS: []float64{40960, 40960}, FloorKB: 3100,
			},
		},
		Bench: bc,
	}
}

func TestTargets(t *testing.T) {
	got := testReport().Targets()
	want := []Target{
		{true, "wall time svgtrace/potrace, 5 files at 400 px, -t 2: 1.20× (target ≤ 1.30×; 0.10× under, 7.7 % headroom)"},
		{false, "wall time svgtrace/potrace, picos.pbm, -t 2: 1.40× (target ≤ 1.20×; 0.20× over, 16.7 % too slow)"},
		{false, "peak RSS, picos.pbm, -t 2: svgtrace 50.0 MiB vs potrace 40.0 MiB, 1.25× (target svgtrace ≤ potrace; 10.0 MiB over)"},
		{false, "js/wasm under Node vs native, geometric mean of 2 BenchmarkTrace ratios: 2.83× (target ≤ 2.75×; 0.08× over, 2.9 % too slow); worst picos 4.00×"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Targets() =\n%s\nwant\n%s", targetLines(got), targetLines(want))
	}
	if s := want[0].String(); !strings.HasPrefix(s, "PASS wall time") {
		t.Errorf("String() = %q", s)
	}
	if s := want[1].String(); !strings.HasPrefix(s, "MISS wall time") {
		t.Errorf("String() = %q", s)
	}
	// A ratio that was not measured misses.
	if tg := ratioTarget("x", math.NaN(), 1); tg.Pass || !strings.Contains(tg.Line, "not measured") {
		t.Errorf("ratioTarget(NaN) = %+v", tg)
	}
}

func targetLines(ts []Target) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.String() + "\n")
	}
	return b.String()
}

func TestMarkdown(t *testing.T) {
	md := testReport().Markdown()
	for _, want := range []string{
		"# svgtrace benchmarks\n",
		"Generated by `go run ./backend/cmd/svgtrace-bench -o docs/benchmarks.md` on 2026-01-02 03:04 UTC in 1m35s.",
		"- Machine: Test CPU, 2 logical CPUs (nproc), linux/amd64\n",
		"- Go: go1.26.0\n",
		"- potrace: potrace 1.16.\n",
		"- Load average (1 min): 0.50 at the start, 0.70 at the end\n",
		"## Targets\n\n- PASS wall time svgtrace/potrace, 5 files at 400 px, -t 2: 1.20×",
		"- MISS js/wasm under Node vs native",
		"```\nsvgtrace trace -t 2 a_400.pbm\npotrace -s -t 2 a_400.pbm\nsvgtrace trace -t 2 picos.pbm -o out.svg\npotrace -s -t 2 picos.pbm -o out.svg\n```",
		"| 5 files at 400 px | 2 | 12.0 ms (11.0 ms–13.0 ms) | 10.0 ms (10.0 ms–10.0 ms) | 1.20× (1.10–1.30) | ≤ 1.30× |\n",
		"| picos.pbm | 2 | 280 ms (260 ms–300 ms) | 200 ms (200 ms–200 ms) | 1.40× (1.30–1.50) | ≤ 1.20× |\n",
		"| 5 files at 400 px | 2 | ≤ 2.93 MiB | 4.88 MiB | n/a (floor) |\n",
		"| picos.pbm | 2 | 50.0 MiB | 40.0 MiB | 1.25× |\n",
		"its own peak (at most 3.03 MiB)",
		"| a_400.pbm | 2 | 1,234 | 2,000 | 500 | 1,000 | 0.50× | 1.500 % | n/a |\n",
		"```\nnative-cmd\nwasm-cmd\n```",
		"| BenchmarkTrace/picos_400 | 1.00 ms | 2.00 ms | 2.00× (1.00–3.00) | 100 | 2 | 100 | 2 |\n",
		"### Stages of picos (native)\n",
		"| decompose | 10,000,000 | 25.0 % | 100 | 2 | 20,000,000 | 2.00× |\n",
		"| polygon | 30,000,000 | 75.0 % | 100 | 2 | 60,000,000 | 2.00× |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
	checkTables(t, md)
}

// checkTables checks that the markdown tables of md have as many cells in
// every row as in their header.
func checkTables(t *testing.T, md string) {
	t.Helper()
	cols := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(line, "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row %q has %d bars, header %d", line, n, cols)
		}
	}
}

func TestMarkdownWithoutSections(t *testing.T) {
	r := testReport()
	r.Procs, r.Bench = nil, nil
	md := r.Markdown()
	if strings.Contains(md, "## Whole process") || strings.Contains(md, "## js/wasm") {
		t.Errorf("skipped sections rendered:\n%s", md)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-o", "out.md"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.runs != 21 || c.fullRuns != 11 || c.warmup != 3 || c.benchCount != 5 || c.peerRuns != 11 || c.peerWarmup != 3 || c.skipPeers ||
		!reflect.DeepEqual(c.turds, []int{2, 100}) || !reflect.DeepEqual(c.full, []string{"picos", "brushes"}) || c.out != "out.md" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseFlags([]string{"-quick", "-runs", "7", "-turds", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.runs != 7 || c.fullRuns != 2 || c.warmup != 1 || c.benchCount != 1 || c.benchtime != "100ms" || c.peerRuns != 2 || c.peerWarmup != 1 ||
		!reflect.DeepEqual(c.turds, []int{5}) || !reflect.DeepEqual(c.full, []string{"picos"}) {
		t.Errorf("-quick -runs 7: %+v", c)
	}
	c, err = parseFlags([]string{"-skip-peers", "-peer-runs", "4", "-peer-warmup", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.skipPeers || c.peerRuns != 4 || c.peerWarmup != 0 {
		t.Errorf("-skip-peers -peer-runs 4 -peer-warmup 0: %+v", c)
	}
	for _, bad := range [][]string{{"-runs", "0"}, {"-turds", "x"}, {"-turds", "-1"}, {"extra"}, {"-bench-count", "1000"},
		{"-peer-runs", "0"}, {"-peer-warmup", "-1"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestGzipSize(t *testing.T) {
	data := []byte(strings.Repeat("<path d=\"M0 0h1v1h-1z\"/>", 1000))
	if n := gzipSize(data); n <= 0 || n >= int64(len(data))/10 {
		t.Errorf("gzipSize = %d of %d bytes", n, len(data))
	}
}

func TestSelfHWM(t *testing.T) {
	if n := selfHWM(); n == 0 || n < -1 {
		t.Errorf("selfHWM = %d", n)
	}
}

func TestImageTargets(t *testing.T) {
	ib := &ImageBench{Lines: map[string][]BenchLine{
		"BenchmarkPlaceholder/picos.jpg": {{NsPerOp: 20e6}, {NsPerOp: 16e6}, {NsPerOp: 18e6}},
		"BenchmarkPosterize/400px":       {{NsPerOp: 12e6}},
		"BenchmarkCancelLatency":         {{NsPerOp: 1e8, Metrics: map[string]float64{"cancel-ms": 0.5}}},
	}, Placeholders: []PlaceholderResult{
		{File: "picos.jpg", URIBytes: 2900, Mismatch: 1.7}, // smaller, but less faithful
		{File: "brushes.jpg", URIBytes: 5000, Mismatch: 3.0},
		{File: "fruits.jpg", URIBytes: 9999, Mismatch: 9}, // not a target
	}}
	var got []string
	for _, tg := range ib.Targets() {
		got = append(got, fmt.Sprintf("%v %s", tg.Pass, tg.Line))
	}
	want := []string{
		"true picos.jpg to a placeholder data URI, end to end, native (BenchmarkPlaceholder): 18.0 ms (target ≤ 150 ms; 132 ms under)",
		"false posterize, 4 layers at 400 px (BenchmarkPosterize/400px): 12.0 ms (target ≤ 10.0 ms; 2.00 ms over)",
		"true cancel latency of a 50 MP trace, mean (BenchmarkCancelLatency): 0.500 ms (target ≤ 50.0 ms; 49.5 ms under)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
