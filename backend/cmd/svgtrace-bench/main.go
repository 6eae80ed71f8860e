// Command svgtrace-bench measures svgtrace against potrace and js/wasm against
// native, and writes the results as markdown (docs/benchmarks.md via make bench).
//
//	go run ./backend/cmd/svgtrace-bench [flags]
//
// Run it from the module root (or anywhere inside the module). It needs the go
// command, potrace, rsvg-convert, and Node and npm (for js/wasm and the peers)
// on PATH.
//
// What it does, in order:
//
//  1. Builds the svgtrace command once with go build, and the tracecore test
//     binary twice with go test -c: natively and for GOOS=js GOARCH=wasm.
//  2. Whole process against whole process, at turd sizes 2 and 100 (-turds):
//     one `svgtrace trace -t T` over the five *_400.pbm test bitmaps against
//     one `potrace -s -t T` over the same files, each writing NAME.svg beside
//     its input in its own temporary copy of the inputs; then
//     `svgtrace trace -t T NAME.pbm -o out.svg` against
//     `potrace -s -t T NAME.pbm -o out.svg` for each full-size bitmap of
//     -full. The two commands alternate, pair by pair, after -warmup pairs;
//     outputs are deleted before every run. A small runner process (this
//     program re-executed, see runner.go) starts them and records wall time
//     and the child's max RSS. The harness then compares the SVGs of the
//     last run: bytes, gzip bytes and mismatch against the bitmap (package
//     tracecore/fidelity).
//  3. Runs BenchmarkWarmup (dropped), BenchmarkTrace and BenchmarkStages of
//     tracecore natively and under Node (go_js_wasm_exec) in -bench-count
//     rounds, each round one process of each test binary, the first of the
//     two alternating; reports wasm/native ns/op ratios, round by round, and
//     the per-stage figures.
//  4. Runs the image benchmarks of tracecore/imageio and tracecore natively
//     and makes each test photo's placeholder (images.go).
//  5. Measures the peers (peers.go): installs node-potrace and
//     image-trace-loader from peers/package-lock.json into a cache
//     directory when missing, then, each in its own process started by the
//     runner: svgtrace (this program as a worker, worker.go) against
//     node-potrace in-process on PNGs of the test bitmaps; each test photo
//     to a placeholder by svgtrace, node-potrace and image-trace-loader; and
//     image-trace-loader's placeholders of the photos at 400 px with the
//     bitmaps it traced, for bytes and mismatch.
//  6. Measures the backend (serve.go): uploads to a real `svgtrace serve`
//     over loopback, upload and trace latency, throughput and the trace
//     queue's overhead per job.
//  7. Measures the WebSocket hub (hub.go): a client connected to /ws of a
//     real `svgtrace serve`, the worker's completion to its traced event.
//  8. Measures the browser (browser.go): the embed module and the wasm in
//     headless Chromium, on a benchmark page (browserpage/) served with
//     web/embed and a -quick wasm build from a loopback test server: a
//     400 px trace from pixels, the placeholder of picos.jpg, long tasks on
//     the main thread, first loads, and the gallery's second load offline.
//     Skipped with a message when Chromium is missing.
//  9. Measures the edge worker (edge.go): wasm/edge's Workers bundle under
//     workerd (SVGTRACE_WORKERD, which make bench installs) on loopback:
//     bundle size, a fresh process's first answers, the Go start-up each
//     request pays, and a 400 px trace's latency, requests/s and CPU.
//     Skipped with a message when workerd is missing.
//
// 10. Prints the markdown report and writes it to -o.
//
// The exit status is 0 when everything ran, whether or not targets were met
// (the report says PASS or MISS for each), 1 when something failed and 2 for a
// bad command line.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
)

// config is the command line.
type config struct {
	out         string
	runs        int
	fullRuns    int
	warmup      int
	benchCount  int
	benchtime   string
	turds       []int
	full        []string
	potrace     string
	skipProcs   bool
	skipGoBench bool
	skipImages  bool
	skipPeers   bool
	skipServe   bool
	skipHub     bool
	skipBrowser bool
	skipEdge    bool
	peerRuns    int
	peerWarmup  int
	fidelity    bool
	quick       bool
	args        []string // as given, for the report
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{args: args}
	fs := flag.NewFlagSet("svgtrace-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./backend/cmd/svgtrace-bench [flags]\n\n"+
			"Benchmarks svgtrace against potrace and js/wasm against native; writes markdown.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.out, "o", "", "write the markdown report to `FILE` (it is always printed to standard output)")
	fs.IntVar(&c.runs, "runs", 21, "measured pairs of runs per 400 px comparison")
	fs.IntVar(&c.fullRuns, "full-runs", 11, "measured pairs of runs per full-size comparison")
	fs.IntVar(&c.warmup, "warmup", 3, "unmeasured pairs of runs before each comparison")
	fs.IntVar(&c.benchCount, "bench-count", 5, "rounds of the go benchmarks: one native and one js/wasm process each")
	fs.StringVar(&c.benchtime, "benchtime", "500ms", "go test -benchtime of each benchmark")
	turds := fs.String("turds", "2,100", "comma-separated turd sizes (-t) of the process comparisons")
	full := fs.String("full", "picos,brushes", "comma-separated full-size bitmaps (testdata/pbm names without .pbm) to compare")
	fs.StringVar(&c.potrace, "potrace", "potrace", "the potrace program")
	fs.BoolVar(&c.skipProcs, "skip-procs", false, "skip the svgtrace vs potrace process comparisons")
	fs.BoolVar(&c.skipGoBench, "skip-gobench", false, "skip the go benchmarks (native and js/wasm)")
	fs.BoolVar(&c.skipImages, "skip-images", false, "skip the image benchmarks (decoding, placeholders, posterize, cancellation)")
	fs.BoolVar(&c.skipPeers, "skip-peers", false, "skip the comparisons with node-potrace and image-trace-loader (no Node or npm needed)")
	fs.BoolVar(&c.skipServe, "skip-serve", false, "skip the backend benchmarks (uploads and the trace queue of svgtrace serve)")
	fs.BoolVar(&c.skipHub, "skip-hub", false, "skip the WebSocket hub benchmark (worker completion to a connected client)")
	fs.BoolVar(&c.skipBrowser, "skip-browser", false, "skip the browser benchmarks (the embed module and the wasm in headless Chromium)")
	fs.BoolVar(&c.skipEdge, "skip-edge", false, "skip the edge worker benchmark (wasm/edge's bundle under workerd)")
	fs.IntVar(&c.peerRuns, "peer-runs", 11, fmt.Sprintf("measured runs of each input in each peer comparison process (at most %d over %d pixels)", bigRuns, bigPixels))
	fs.IntVar(&c.peerWarmup, "peer-warmup", 3, fmt.Sprintf("unmeasured runs of each input first (at most %d over %d pixels)", bigWarmup, bigPixels))
	fs.BoolVar(&c.fidelity, "fidelity", true, "measure mismatch with rsvg-convert (tracecore/fidelity)")
	fs.BoolVar(&c.quick, "quick", false, "smoke run: -runs 3 -full-runs 2 -warmup 1 -bench-count 1 -benchtime 100ms -full picos -peer-runs 2 -peer-warmup 1 unless given")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		quick := map[string]func(){
			"runs":        func() { c.runs = 3 },
			"full-runs":   func() { c.fullRuns = 2 },
			"warmup":      func() { c.warmup = 1 },
			"bench-count": func() { c.benchCount = 1 },
			"benchtime":   func() { c.benchtime = "100ms" },
			"full":        func() { *full = "picos" },
			"peer-runs":   func() { c.peerRuns = 2 },
			"peer-warmup": func() { c.peerWarmup = 1 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	if c.runs < 1 || c.fullRuns < 1 || c.warmup < 0 || c.benchCount < 1 || c.peerRuns < 1 || c.peerWarmup < 0 {
		return nil, errors.New("-runs, -full-runs, -bench-count and -peer-runs must be at least 1, -warmup and -peer-warmup at least 0")
	}
	if c.runs > 1000 || c.fullRuns > 1000 || c.warmup > 100 || c.benchCount > 100 || c.peerRuns > 1000 || c.peerWarmup > 100 {
		return nil, errors.New("run counts are capped at 1000 runs or pairs, 100 warm-ups and 100 bench rounds")
	}
	for _, s := range splitList(*turds) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-turds: %q is not a turd size", s)
		}
		c.turds = append(c.turds, n)
	}
	c.full = splitList(*full)
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func main() {
	if os.Getenv(runnerEnv) != "" {
		os.Exit(runnerMain())
	}
	if os.Getenv(workerEnv) != "" {
		os.Exit(workerMain(os.Args[1:], os.Stderr))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	c, err := parseFlags(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "svgtrace-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "svgtrace-bench:", err)
		return 1
	}
	return 0
}

// logf reports progress on standard error.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "svgtrace-bench: "+format+"\n", args...)
}

// env is what the harness found and built.
type env struct {
	root     string // module root
	pbmDir   string
	tmp      string
	svgtrace string // built binary
	potrace  string
	goroot   string
	native   string // native tracecore test binary
	wasm     string // js/wasm tracecore test binary
	imageio  string // native imageio test binary
}

func bench(ctx context.Context, c *config) error {
	start := time.Now()
	loadStart := loadAvg()
	e := &env{}
	var err error
	if e.root, err = moduleRoot(ctx); err != nil {
		return err
	}
	e.pbmDir = filepath.Join(e.root, "tracecore", "testdata", "pbm")
	if !c.skipProcs {
		if e.potrace, err = exec.LookPath(c.potrace); err != nil {
			return fmt.Errorf("potrace: %w", err)
		}
		if c.fidelity {
			if _, err := exec.LookPath("rsvg-convert"); err != nil {
				return fmt.Errorf("rsvg-convert (for -fidelity): %w", err)
			}
		}
	}
	if !c.skipGoBench {
		if _, err := exec.LookPath("node"); err != nil {
			return fmt.Errorf("node (for the js/wasm benchmarks): %w", err)
		}
	}
	if !c.skipPeers {
		if err := checkPeerTools(); err != nil {
			return err
		}
		if c.fidelity {
			if _, err := exec.LookPath("rsvg-convert"); err != nil {
				return fmt.Errorf("rsvg-convert (for -fidelity): %w", err)
			}
		}
	}
	if e.tmp, err = os.MkdirTemp("", "svgtrace-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(e.tmp)

	rep := &Report{
		Date:     start,
		Command:  strings.TrimSpace("go run ./backend/cmd/svgtrace-bench " + shellJoin(c.args)),
		CPU:      cpuModel(),
		NumCPU:   runtime.NumCPU(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	rep.GoVersion = firstLine(output(ctx, e.root, nil, "go", "env", "GOVERSION"))
	rep.Revision = firstLine(output(ctx, e.root, nil, "git", "describe", "--always", "--dirty", "--abbrev=12"))
	if e.potrace != "" {
		rep.PotraceVersion = firstLine(output(ctx, e.root, nil, e.potrace, "--version"))
	}
	var settings []string
	if !c.skipProcs {
		settings = append(settings, fmt.Sprintf("process comparisons at -t %s: %d measured pairs at 400 px, %d at full size, %d warm-up pairs each",
			joinInts(c.turds, ", "), c.runs, c.fullRuns, c.warmup))
	}
	if !c.skipGoBench || !c.skipImages {
		settings = append(settings, fmt.Sprintf("go benchmarks: %d rounds of -benchtime %s", c.benchCount, c.benchtime))
	}
	if !c.skipPeers {
		settings = append(settings, fmt.Sprintf("peers: %d measured runs of each input after %d unmeasured in each process (%d after %d over %s pixels)",
			c.peerRuns, c.peerWarmup, min(bigRuns, c.peerRuns), min(bigWarmup, c.peerWarmup), fmtInt(bigPixels)))
	}
	if !c.skipServe {
		settings = append(settings, "backend: "+serveSettings(c))
	}
	if !c.skipHub {
		settings = append(settings, hubSettings(c))
	}
	if !c.skipBrowser {
		settings = append(settings, browserSettings(c))
	}
	if !c.skipEdge {
		settings = append(settings, edgeSettings())
	}
	rep.Settings = strings.Join(settings, "; ")

	// Install the peers first: a failure shows before the long runs.
	var npmDir string
	if !c.skipPeers {
		if npmDir, err = installPeers(ctx, e.root); err != nil {
			return fmt.Errorf("installing the peers: %w", err)
		}
	}

	// Build everything once.
	if !c.skipProcs || !c.skipServe || !c.skipHub {
		// Both commands side by side, as make build installs them: svgtrace
		// serve runs the svgtrace-server beside svgtrace.
		bin := filepath.Join(e.tmp, "bin")
		e.svgtrace = filepath.Join(bin, "svgtrace")
		logf("go build -o %s/ ./backend/cmd/svgtrace ./backend/cmd/svgtrace-server", bin)
		if err := runQuiet(ctx, e.root, nil, "go", "build", "-o", bin+string(filepath.Separator), "./backend/cmd/svgtrace", "./backend/cmd/svgtrace-server"); err != nil {
			return err
		}
	}
	if !c.skipGoBench || !c.skipImages {
		e.native = filepath.Join(e.tmp, "bin", "tracecore.test")
		logf("go test -c -o %s ./tracecore", e.native)
		if err := runQuiet(ctx, e.root, nil, "go", "test", "-c", "-o", e.native, "./tracecore"); err != nil {
			return err
		}
	}
	if !c.skipImages {
		e.imageio = filepath.Join(e.tmp, "bin", "imageio.test")
		logf("go test -c -o %s ./tracecore/imageio", e.imageio)
		if err := runQuiet(ctx, e.root, nil, "go", "test", "-c", "-o", e.imageio, "./tracecore/imageio"); err != nil {
			return err
		}
	}
	if !c.skipGoBench {
		e.goroot = firstLine(output(ctx, e.root, nil, "go", "env", "GOROOT"))
		e.wasm = filepath.Join(e.tmp, "bin", "tracecore.wasm.test")
		logf("GOOS=js GOARCH=wasm go test -c -o %s ./tracecore", e.wasm)
		if err := runQuiet(ctx, e.root, []string{"GOOS=js", "GOARCH=wasm"}, "go", "test", "-c", "-o", e.wasm, "./tracecore"); err != nil {
			return err
		}
	}

	if !c.skipProcs {
		if rep.Procs, err = procComparisons(ctx, c, e); err != nil {
			return err
		}
	}
	if !c.skipGoBench {
		if rep.Bench, err = goBenchmarks(ctx, c, e); err != nil {
			return err
		}
	}
	if !c.skipImages {
		if rep.Images, err = imageBenchmarks(ctx, c, e); err != nil {
			return err
		}
	}
	if !c.skipPeers {
		if rep.Peers, err = peerBenchmarks(ctx, c, e, npmDir); err != nil {
			return err
		}
		if rep.Images != nil {
			rep.Images.ITL = map[string]ITLResult{}
			for _, r := range rep.Peers.ITL {
				rep.Images.ITL[r.File] = r
			}
		}
	}
	if !c.skipServe {
		if rep.Serve, err = serveBenchmarks(ctx, c, e); err != nil {
			return fmt.Errorf("backend benchmarks: %w", err)
		}
	}
	if !c.skipHub {
		if rep.Hub, err = hubBenchmarks(ctx, c, e); err != nil {
			return fmt.Errorf("hub benchmark: %w", err)
		}
	}
	if !c.skipBrowser {
		if rep.Browser, err = browserBenchmarks(ctx, c, e); err != nil {
			return fmt.Errorf("browser benchmarks: %w", err)
		}
	}
	if !c.skipEdge {
		if rep.Edge, err = edgeBenchmarks(ctx, e); err != nil {
			return fmt.Errorf("edge benchmark: %w", err)
		}
	}
	rep.Elapsed = time.Since(start)
	if loadEnd := loadAvg(); loadStart != "" && loadEnd != "" {
		rep.Load = fmt.Sprintf("%s at the start, %s at the end (other work on the machine shows here and widens the ranges)", loadStart, loadEnd)
	}
	md := rep.Markdown()
	fmt.Print(md)
	if c.out != "" {
		if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(c.out, []byte(md), 0o644); err != nil {
			return err
		}
		logf("wrote %s in %s", c.out, rep.Elapsed.Round(time.Second))
	}
	return nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	gomod := firstLine(output(ctx, "", nil, "go", "env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the svgtrace module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// output runs a command and returns its standard output, "" on failure.
func output(ctx context.Context, dir string, extraEnv []string, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if extraEnv != nil {
		cmd.Env = append(os.Environ(), extraEnv...)
	}
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// runQuiet runs a build step, returning its output in the error on failure.
func runQuiet(ctx context.Context, dir string, extraEnv []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// loadAvg returns the 1-minute load average from /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// shellJoin quotes args for display as a shell command line.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c == '/' || c == ',' || c == '=' || c == ':' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// A sample is one measured run of a child process.
type sample struct {
	ms      float64 // wall time, start to exit
	rssKB   float64 // max RSS (Linux reports KiB)
	floorKB float64 // the runner's peak RSS, a floor under rssKB (runner.go)
}

// childTimeout bounds any one child process.
const childTimeout = 5 * time.Minute

// removeSVGs deletes the SVG files in dir, the outputs of a previous run.
func removeSVGs(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.svg"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// procComparisons runs every whole-process comparison.
func procComparisons(ctx context.Context, c *config, e *env) ([]*ProcCase, error) {
	files400, err := filepath.Glob(filepath.Join(e.pbmDir, "*_400.pbm"))
	if err != nil || len(files400) == 0 {
		return nil, fmt.Errorf("no *_400.pbm bitmaps in %s", e.pbmDir)
	}
	var names400 []string
	for _, f := range files400 {
		names400 = append(names400, filepath.Base(f))
	}
	var cases []*ProcCase
	for _, turd := range c.turds {
		t := strconv.Itoa(turd)
		pc := &ProcCase{Label: fmt.Sprintf("%d files at 400 px", len(names400)), Name: "400", Turd: turd, Target: target400}
		// -j 1: one file after another, as potrace does (svgtrace would
		// otherwise trace them on every core); -q: no progress lines.
		svgArgv := append([]string{e.svgtrace, "trace", "-j", "1", "-q", "-t", t}, names400...)
		potArgv := append([]string{e.potrace, "-s", "-t", t}, names400...)
		var outs []string
		for _, n := range names400 {
			outs = append(outs, strings.TrimSuffix(n, ".pbm")+".svg")
		}
		if err := measureCase(ctx, e, pc, names400, outs, svgArgv, potArgv, c.runs, c.warmup, c.fidelity); err != nil {
			return nil, err
		}
		cases = append(cases, pc)

		for _, name := range c.full {
			in := name + ".pbm"
			pc := &ProcCase{Label: in, Name: name, Turd: turd, Target: targetFull}
			svgArgv := []string{e.svgtrace, "trace", "-q", "-t", t, in, "-o", "out.svg"}
			potArgv := []string{e.potrace, "-s", "-t", t, in, "-o", "out.svg"}
			if err := measureCase(ctx, e, pc, []string{in}, []string{"out.svg"}, svgArgv, potArgv, c.fullRuns, c.warmup, c.fidelity); err != nil {
				return nil, err
			}
			cases = append(cases, pc)
		}
	}
	return cases, nil
}

// displayArgv is argv as the report shows it: programs by their base name.
func displayArgv(argv []string) string {
	d := append([]string{filepath.Base(argv[0])}, argv[1:]...)
	return shellJoin(d)
}

// measureCase runs svgArgv and potArgv alternately, each in its own directory
// holding copies of inputs, and fills pc. outs are the SVG files a run writes,
// in the order of inputs.
func measureCase(ctx context.Context, e *env, pc *ProcCase, inputs, outs, svgArgv, potArgv []string, runs, warmup int, withFidelity bool) error {
	pc.SvgCmd, pc.PotCmd = displayArgv(svgArgv), displayArgv(potArgv)
	logf("%s vs %s: %d pairs + %d warm-up", pc.SvgCmd, pc.PotCmd, runs, warmup)
	// A runner per comparison: its peak RSS, the floor of the figures, creeps
	// up over hundreds of runs.
	r, err := startRunner(ctx, e.tmp)
	if err != nil {
		return fmt.Errorf("start runner: %w", err)
	}
	defer func() {
		if err := r.close(); err != nil {
			logf("runner: %v", err)
		}
	}()
	dirs := [2]string{}
	argvs := [2][]string{svgArgv, potArgv}
	for k, prog := range []string{"svgtrace", "potrace"} {
		dir, err := os.MkdirTemp(e.tmp, prog+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, in := range inputs {
			if err := copyFile(filepath.Join(e.pbmDir, in), filepath.Join(dir, in)); err != nil {
				return err
			}
		}
		dirs[k] = dir
	}
	for i := -warmup; i < runs; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		order := []int{0, 1}
		if (i+warmup)%2 == 1 {
			order = []int{1, 0} // alternate which program goes first
		}
		var got [2]sample
		for _, k := range order {
			if err := removeSVGs(dirs[k]); err != nil {
				return err
			}
			s, err := r.run(dirs[k], argvs[k])
			if err != nil {
				return err
			}
			got[k] = s
		}
		if i >= 0 {
			pc.SvgWall = append(pc.SvgWall, got[0].ms)
			pc.PotWall = append(pc.PotWall, got[1].ms)
			pc.SvgRSS = append(pc.SvgRSS, got[0].rssKB)
			pc.PotRSS = append(pc.PotRSS, got[1].rssKB)
			pc.FloorKB = max(pc.FloorKB, got[0].floorKB, got[1].floorKB)
		}
	}
	// Compare the outputs of the last run.
	for j, in := range inputs {
		fr := FileResult{Name: in, Turd: pc.Turd, SvgMismatch: math.NaN(), PotMismatch: math.NaN()}
		svgs := [2][]byte{}
		for k := range dirs {
			data, err := os.ReadFile(filepath.Join(dirs[k], outs[j]))
			if err != nil {
				return fmt.Errorf("%s wrote no %s: %w", argvs[k][0], outs[j], err)
			}
			svgs[k] = data
		}
		fr.SvgBytes, fr.PotBytes = int64(len(svgs[0])), int64(len(svgs[1]))
		fr.SvgGzip, fr.PotGzip = gzipSize(svgs[0]), gzipSize(svgs[1])
		if withFidelity {
			bm, err := readPBM(filepath.Join(e.pbmDir, in))
			if err != nil {
				return err
			}
			if fr.SvgMismatch, err = fidelity.Mismatch(bm, svgs[0]); err != nil {
				return fmt.Errorf("mismatch of svgtrace's %s: %w", outs[j], err)
			}
			if fr.PotMismatch, err = fidelity.Mismatch(bm, svgs[1]); err != nil {
				return fmt.Errorf("mismatch of potrace's %s: %w", outs[j], err)
			}
		}
		pc.Files = append(pc.Files, fr)
	}
	s := summarize(pc.Ratios())
	logf("  svgtrace %s, potrace %s, ratio %s", fmtMs(median(pc.SvgWall)), fmtMs(median(pc.PotWall)), fmtRatioRange(s))
	return nil
}

func readPBM(path string) (*tracecore.Bitmap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bm, err := tracecore.ReadPBM(f, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return bm, nil
}

// gzipSize returns the size of data gzipped at the default level.
func gzipSize(data []byte) int64 {
	var cw countWriter
	zw := gzip.NewWriter(&cw)
	zw.Write(data) // a countWriter never fails
	zw.Close()
	return cw.n
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// benchPattern selects the tracecore benchmarks the harness runs.
// BenchmarkWarmup runs first and lets V8 optimise the wasm tracer; its
// results are dropped.
const (
	benchPattern = "^Benchmark(Warmup|Trace|Stages)$"
	warmupBench  = "BenchmarkWarmup"
)

// goBenchmarks runs the tracecore benchmarks natively and under Node in
// rounds, each round one native process and one js/wasm process with
// -test.count 1, which goes first alternating, so that load on the machine
// falls on both.
func goBenchmarks(ctx context.Context, c *config, e *env) (*BenchComparison, error) {
	jsExec := filepath.Join(e.goroot, "lib", "wasm", "go_js_wasm_exec")
	if _, err := os.Stat(jsExec); err != nil {
		return nil, fmt.Errorf("go_js_wasm_exec: %w", err)
	}
	testArgs := []string{"-test.run", "^$", "-test.bench", benchPattern, "-test.benchmem", "-test.count", "1", "-test.benchtime", c.benchtime}
	rounds := fmt.Sprintf("   # × %d, alternating with the other binary", c.benchCount)
	bc := &BenchComparison{
		NativeCmd: "go test -c -o tracecore.test ./tracecore && cd tracecore && ../tracecore.test " + shellJoin(testArgs) + rounds,
		WasmCmd: "GOOS=js GOARCH=wasm go test -c -o tracecore.wasm.test ./tracecore && cd tracecore && " +
			"$(go env GOROOT)/lib/wasm/go_js_wasm_exec ../tracecore.wasm.test " + shellJoin(testArgs) + rounds,
	}
	dir := filepath.Join(e.root, "tracecore") // the benchmarks read testdata/ relative to it
	pathEnv := "PATH=" + filepath.Join(e.goroot, "lib", "wasm") + string(os.PathListSeparator) + os.Getenv("PATH")
	for round := range c.benchCount {
		var results [2][]BenchLine
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			argv := append([]string{e.native}, testArgs...)
			var env []string
			what := "native"
			if k == 1 {
				argv = append([]string{jsExec, e.wasm}, testArgs...)
				env = []string{pathEnv}
				what = "js/wasm"
			}
			t0 := time.Now()
			out, err := benchOutput(ctx, dir, env, argv, 10*time.Minute)
			if err != nil {
				return nil, err
			}
			results[k] = dropBench(parseBench(out), warmupBench)
			if len(results[k]) == 0 {
				return nil, fmt.Errorf("%s benchmarks printed no results:\n%s", what, out)
			}
			logf("go benchmarks, round %d/%d, %s: %d results in %s", round+1, c.benchCount, what, len(results[k]), time.Since(t0).Round(time.Second))
		}
		bc.add(results[0], results[1])
	}
	return bc, nil
}

// dropBench removes the results of the benchmark name.
func dropBench(lines []BenchLine, name string) []BenchLine {
	var out []BenchLine
	for _, l := range lines {
		if l.Name != name {
			out = append(out, l)
		}
	}
	return out
}

// benchOutput runs a test binary and returns its standard output.
func benchOutput(ctx context.Context, dir string, extraEnv, argv []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = childAttr()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s%s", shellJoin(argv), err, out, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}
