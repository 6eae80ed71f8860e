package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Targets.
const (
	target400     = 1.30 // svgtrace/potrace wall time, 400 px files
	targetFull    = 1.20 // svgtrace/potrace wall time, full-size files
	targetWasm    = 2.75 // js/wasm / native ns/op, BenchmarkTrace geometric mean
	rssTargetFile = "picos"
)

// A Report is everything one run of the harness measured.
type Report struct {
	Date           time.Time
	Elapsed        time.Duration
	Command        string // how the harness was run
	CPU            string
	NumCPU         int
	Platform       string // GOOS/GOARCH
	GoVersion      string
	PotraceVersion string
	Revision       string // git describe of the tree measured, "" if unknown
	Settings       string // run counts and the like, one line
	Load           string // 1-minute load averages at start and end, "" if unknown

	Procs   []*ProcCase
	Bench   *BenchComparison // nil when skipped
	Images  *ImageBench      // nil when skipped
	Peers   *PeerBench       // nil when skipped
	Serve   *ServeBench      // nil when skipped
	Hub     *HubBench        // nil when skipped
	Browser *BrowserBench    // nil when skipped
	Edge    *EdgeBench       // nil when skipped
}

// A ProcCase is one whole-process comparison: the same inputs and settings
// through svgtrace and potrace, measured pair by pair.
type ProcCase struct {
	Label  string // "5 files at 400 px", "picos.pbm"
	Name   string // "400", or the full-size bitmap's name: "picos"
	Turd   int
	Target float64 // wall-time ratio target

	SvgCmd, PotCmd   string
	SvgWall, PotWall []float64 // ms, one per measured pair
	SvgRSS, PotRSS   []float64 // max RSS in KiB, one per measured pair
	FloorKB          float64   // the largest peak RSS of the runner that started them

	Files []FileResult
}

// Ratios returns svgtrace/potrace wall time for each measured pair.
func (c *ProcCase) Ratios() []float64 { return pairRatios(c.SvgWall, c.PotWall) }

// A FileResult compares the SVG both programs wrote for one input.
type FileResult struct {
	Name                     string // input file name
	Turd                     int
	SvgBytes, PotBytes       int64
	SvgGzip, PotGzip         int64
	SvgMismatch, PotMismatch float64 // percent of pixels; NaN if not measured
}

// A BenchComparison holds rounds of the same go test benchmarks run natively
// and under js/wasm, round i of each run back to back.
type BenchComparison struct {
	NativeCmd, WasmCmd string
	Names              []string // in the order native output lists them
	Native, Wasm       map[string][]BenchLine
}

// add records one round of both platforms.
func (b *BenchComparison) add(native, wasm []BenchLine) {
	if b.Native == nil {
		b.Native, b.Wasm = map[string][]BenchLine{}, map[string][]BenchLine{}
	}
	for _, l := range native {
		if _, seen := b.Native[l.Name]; !seen {
			b.Names = append(b.Names, l.Name)
		}
		b.Native[l.Name] = append(b.Native[l.Name], l)
	}
	for _, l := range wasm {
		b.Wasm[l.Name] = append(b.Wasm[l.Name], l)
	}
}

func nsPerOp(ls []BenchLine) []float64 {
	v := make([]float64, len(ls))
	for i, l := range ls {
		v[i] = l.NsPerOp
	}
	return v
}

// Ratios returns wasm/native ns/op of name, round by round.
func (b *BenchComparison) Ratios(name string) []float64 {
	return pairRatios(nsPerOp(b.Wasm[name]), nsPerOp(b.Native[name]))
}

// memOf returns the median B/op and allocs/op of ls (-1 when not reported).
func memOf(ls []BenchLine) (bytes, allocs float64) {
	var bs, as []float64
	for _, l := range ls {
		if l.BytesPerOp >= 0 {
			bs = append(bs, l.BytesPerOp)
			as = append(as, l.AllocsPerOp)
		}
	}
	if len(bs) == 0 {
		return -1, -1
	}
	return median(bs), median(as)
}

// traceRatios returns the median wasm/native ratio of every BenchmarkTrace
// sub-benchmark that ran on both platforms, with their names.
func (b *BenchComparison) traceRatios() (names []string, ratios []float64) {
	for _, n := range b.Names {
		if !strings.HasPrefix(n, "BenchmarkTrace/") {
			continue
		}
		if r := b.Ratios(n); len(r) > 0 {
			names = append(names, n)
			ratios = append(ratios, median(r))
		}
	}
	return names, ratios
}

// A Target is one PASS/MISS line.
type Target struct {
	Pass bool
	Line string
}

func (t Target) String() string {
	word := "MISS"
	if t.Pass {
		word = "PASS"
	}
	return word + " " + t.Line
}

// ratioTarget judges a measured ratio against an upper bound.
func ratioTarget(what string, got, limit float64) Target {
	pass := got <= limit
	gap := fmt.Sprintf("%.2f× under, %.1f %% headroom", limit-got, 100*(1-got/limit))
	if !pass {
		gap = fmt.Sprintf("%.2f× over, %.1f %% too slow", got-limit, 100*(got/limit-1))
	}
	if math.IsNaN(got) {
		pass, gap = false, "not measured"
	}
	return Target{pass, fmt.Sprintf("%s: %s (target ≤ %.2f×; %s)", what, fmtRatio(got), limit, gap)}
}

// Targets judges every target the report has figures for.
func (r *Report) Targets() []Target {
	var ts []Target
	for _, c := range r.Procs {
		ts = append(ts, ratioTarget(fmt.Sprintf("wall time svgtrace/potrace, %s, -t %d", c.Label, c.Turd),
			median(c.Ratios()), c.Target))
	}
	for _, c := range r.Procs {
		if c.Name != rssTargetFile {
			continue
		}
		s, p := median(c.SvgRSS), median(c.PotRSS)
		pass := s <= p
		gap := fmtKB(p-s) + " under"
		if !pass {
			gap = fmtKB(s-p) + " over"
		}
		if math.IsNaN(s) || math.IsNaN(p) {
			pass, gap = false, "not measured"
		}
		ts = append(ts, Target{pass, fmt.Sprintf("peak RSS, %s, -t %d: svgtrace %s vs potrace %s, %s (target svgtrace ≤ potrace; %s)",
			c.Label, c.Turd, fmtKB(s), fmtKB(p), fmtRatio(s/p), gap)})
	}
	if r.Bench != nil {
		names, ratios := r.Bench.traceRatios()
		worst, worstName := math.NaN(), ""
		for i, x := range ratios {
			if !(x <= worst) {
				worst, worstName = x, strings.TrimPrefix(names[i], "BenchmarkTrace/")
			}
		}
		t := ratioTarget(fmt.Sprintf("js/wasm under Node vs native, geometric mean of %d BenchmarkTrace ratios", len(ratios)),
			geomean(ratios), targetWasm)
		if worstName != "" {
			t.Line += fmt.Sprintf("; worst %s %s", worstName, fmtRatio(worst))
		}
		ts = append(ts, t)
	}
	if r.Images != nil {
		ts = append(ts, r.Images.Targets()...)
	}
	if r.Peers != nil {
		ts = append(ts, r.Peers.Targets()...)
	}
	if r.Serve != nil {
		ts = append(ts, r.Serve.Targets()...)
	}
	if r.Hub != nil {
		ts = append(ts, r.Hub.Targets()...)
	}
	if r.Browser != nil {
		ts = append(ts, r.Browser.Targets()...)
	}
	if r.Edge != nil {
		ts = append(ts, r.Edge.Targets()...)
	}
	return ts
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# svgtrace benchmarks\n\n")
	p("Generated by `%s` on %s in %s. Do not edit: rerun `make bench`.\n\n",
		r.Command, r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("- Machine: %s, %d logical CPUs (nproc), %s\n", r.CPU, r.NumCPU, r.Platform)
	p("- Go: %s\n", r.GoVersion)
	if r.PotraceVersion != "" {
		p("- potrace: %s\n", r.PotraceVersion)
	}
	if r.Peers != nil {
		p("- Peers: %s\n", r.Peers.versionLine())
	}
	if r.Revision != "" {
		p("- svgtrace: %s\n", r.Revision)
	}
	p("- Settings: %s\n", r.Settings)
	if r.Load != "" {
		p("- Load average (1 min): %s\n", r.Load)
	}
	p("\n")

	p("## Targets\n\n")
	for _, t := range r.Targets() {
		p("- %s\n", t)
	}
	p("\n")

	if len(r.Procs) > 0 {
		r.procSection(&b)
	}
	if r.Bench != nil {
		r.benchSection(&b)
	}
	if r.Images != nil {
		r.Images.section(&b)
	}
	if r.Peers != nil {
		r.Peers.section(&b)
	}
	if r.Serve != nil {
		r.Serve.section(&b)
	}
	if r.Hub != nil {
		r.Hub.section(&b)
	}
	if r.Browser != nil {
		r.Browser.section(&b)
	}
	if r.Edge != nil {
		r.Edge.section(&b)
	}
	return b.String()
}

func (r *Report) procSection(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Whole process: svgtrace vs potrace\n\n")
	p("Each row times the two commands below alternately, pair by pair (the first program of a pair alternates), ")
	p("after warm-up pairs, on copies of tracecore/testdata/pbm in a temporary directory; outputs are deleted between runs. ")
	p("The svgtrace binary is built once with `go build`. ")
	p("Times are wall-clock from start to exit, median (min–max); the ratio is the median of the per-pair ratios (min–max). ")
	p("The children are started by a small runner process, which measures them.\n\n")
	p("```\n")
	for _, c := range r.Procs {
		p("%s\n%s\n", c.SvgCmd, c.PotCmd)
	}
	p("```\n\n")

	p("### Wall time\n\n")
	p("| input | -t | svgtrace | potrace | svgtrace/potrace | target |\n")
	p("|---|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Procs {
		p("| %s | %d | %s | %s | %s | ≤ %.2f× |\n", c.Label, c.Turd,
			fmtRange(summarize(c.SvgWall), fmtMs), fmtRange(summarize(c.PotWall), fmtMs),
			fmtRatioRange(summarize(c.Ratios())), c.Target)
	}
	p("\n### Peak memory (max RSS)\n\n")
	p("The child's ru_maxrss from getrusage (`ProcessState.SysUsage`), median over the runs, in MiB. ")
	p("On exec Linux carries the parent's peak RSS into the child's, so the runner that starts the children ")
	p("stays small: its own peak (at most %s) is a floor under every figure; \"≤\" marks a figure at its floor.\n\n", fmtKB(r.floorKB()))
	p("| input | -t | svgtrace | potrace | svgtrace/potrace |\n")
	p("|---|--:|--:|--:|--:|\n")
	for _, c := range r.Procs {
		s, q := median(c.SvgRSS), median(c.PotRSS)
		ratio := fmtRatio(s / q)
		if s <= c.FloorKB || q <= c.FloorKB {
			ratio = "n/a (floor)"
		}
		p("| %s | %d | %s | %s | %s |\n", c.Label, c.Turd, c.fmtRSS(s), c.fmtRSS(q), ratio)
	}
	p("\n### Output size and fidelity\n\n")
	p("SVG bytes as written, gzip bytes at compress/gzip's default level, and mismatch: the percentage of pixels where the SVG, ")
	p("rendered by rsvg-convert at the bitmap's size and thresholded at 50 %%, differs from the bitmap (package tracecore/fidelity).\n\n")
	p("| file | -t | svgtrace SVG | potrace SVG | svgtrace gzip | potrace gzip | gzip ratio | svgtrace mismatch | potrace mismatch |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Procs {
		for _, f := range c.Files {
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", f.Name, f.Turd,
				fmtInt(f.SvgBytes), fmtInt(f.PotBytes), fmtInt(f.SvgGzip), fmtInt(f.PotGzip),
				fmtRatio(float64(f.SvgGzip)/float64(f.PotGzip)), fmtPct(f.SvgMismatch), fmtPct(f.PotMismatch))
		}
	}
	p("\n")
}

// fmtRSS formats a max RSS, marking one no larger than the runner's floor.
func (c *ProcCase) fmtRSS(kb float64) string {
	if kb <= c.FloorKB {
		return "≤ " + fmtKB(kb)
	}
	return fmtKB(kb)
}

// floorKB returns the largest runner peak of all process comparisons.
func (r *Report) floorKB() float64 {
	f := 0.0
	for _, c := range r.Procs {
		f = max(f, c.FloorKB)
	}
	return f
}

func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f %%", v)
}

func (r *Report) benchSection(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	bc := r.Bench
	p("## js/wasm under Node vs native\n\n")
	p("The tracecore benchmarks (tracecore/bench_test.go): BenchmarkTrace traces and encodes each bitmap with the defaults ")
	p("(turd size 2), reusing one Tracer; BenchmarkStages times each stage alone; BenchmarkWarmup runs first in each process ")
	p("so that V8 has optimised the wasm tracer, and is not reported. Both test binaries are built once with `go test -c`. ")
	p("Each round runs each binary once, natively and under Node (go_js_wasm_exec), the first of the two alternating: ")
	p("`go test -run '^$' -bench '^Benchmark(Warmup|Trace|Stages)$' -benchmem ./tracecore` without and with ")
	p("`GOOS=js GOARCH=wasm`. Times are the median ns/op over the rounds; the ratio is the median of the per-round ratios (min–max). ")
	p("Under js/wasm the Go runtime has one thread, so garbage collection is not concurrent.\n\n")
	p("```\n%s\n%s\n```\n\n", bc.NativeCmd, bc.WasmCmd)

	p("| benchmark | native | js/wasm | wasm/native | native B/op | native allocs/op | wasm B/op | wasm allocs/op |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, n := range bc.Names {
		nat, was := bc.Native[n], bc.Wasm[n]
		nb, na := memOf(nat)
		wb, wa := memOf(was)
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", n,
			fmtMs(median(nsPerOp(nat))/1e6), fmtMs(median(nsPerOp(was))/1e6),
			fmtRatioRange(summarize(bc.Ratios(n))), fmtMem(nb), fmtMem(na), fmtMem(wb), fmtMem(wa))
	}

	// The stages of each bitmap, with their share of the stages' total.
	groups := map[string][]string{}
	var order []string
	for _, n := range bc.Names {
		rest, ok := strings.CutPrefix(n, "BenchmarkStages/")
		if !ok {
			continue
		}
		bm, _, _ := strings.Cut(rest, "/")
		if _, seen := groups[bm]; !seen {
			order = append(order, bm)
		}
		groups[bm] = append(groups[bm], n)
	}
	for _, bm := range order {
		total := 0.0
		for _, n := range groups[bm] {
			total += median(nsPerOp(bc.Native[n]))
		}
		p("\n### Stages of %s (native)\n\n", bm)
		p("| stage | ns/op | share | B/op | allocs/op | js/wasm ns/op | wasm/native |\n")
		p("|---|--:|--:|--:|--:|--:|--:|\n")
		for _, n := range groups[bm] {
			ns := median(nsPerOp(bc.Native[n]))
			nb, na := memOf(bc.Native[n])
			p("| %s | %s | %.1f %% | %s | %s | %s | %s |\n", n[strings.LastIndexByte(n, '/')+1:],
				fmtInt(int64(math.Round(ns))), 100*ns/total, fmtMem(nb), fmtMem(na),
				fmtNs(median(nsPerOp(bc.Wasm[n]))), fmtRatio(median(bc.Ratios(n))))
		}
	}
	p("\n")
}

func fmtNs(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmtInt(int64(math.Round(v)))
}

func fmtMem(v float64) string {
	if v < 0 || math.IsNaN(v) {
		return "n/a"
	}
	return fmtInt(int64(math.Round(v)))
}
