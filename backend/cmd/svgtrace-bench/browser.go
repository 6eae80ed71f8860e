package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/svgtrace/svgtrace/internal/headless"
)

// Targets of the browser section (issue 7, "Benchmarks").
const (
	targetPixelsMs      = 4   // 400 px trace from pixels, median
	targetPlaceholderUI = 150 // the embed module's placeholder of picos.jpg, call to resolve, median
	targetLongTaskMs    = 50  // no main-thread task longer, during the traces
	targetFirstLoadMs   = 300 // createTracer on a fresh page, median
)

// Run counts of the browser section; -quick shrinks them. V8 compiles the
// wasm with its baseline compiler first and optimises the hot functions as
// they run: the 400 px trace took ~23 ms over its first 10 runs, ~14 ms over
// the next 40 and ~9 ms from then on (Chromium 156, 2 shared cores), hence
// 50 warm-up runs.
type browserCounts struct {
	warmup, runs           int // 400 px traces from pixels
	photoWarmup, photoRuns int // placeholders of picos.jpg
	loads                  int // fresh pages timed to createTracer
}

var (
	fullBrowserCounts  = browserCounts{warmup: 50, runs: 50, photoWarmup: 1, photoRuns: 10, loads: 5}
	quickBrowserCounts = browserCounts{warmup: 20, runs: 10, photoWarmup: 1, photoRuns: 3, loads: 2}
)

// Bounds on the browser section's waits.
const (
	browserSessionTimeout = 10 * time.Minute // the whole section's browser
	browserStepTimeout    = 2 * time.Minute  // one evaluation
)

// browserpage is the benchmark page, served at /bench/.
//
//go:embed browserpage
var browserpage embed.FS

// BrowserBench is the browser section: the embed module and the wasm in
// headless Chromium, driven over the DevTools protocol.
type BrowserBench struct {
	Skipped  string // why the section did not run, "" when it did
	Chromium string // its --version
	Counts   browserCounts
	Version  string // the wasm's svgtrace.version

	Width, Height int
	WasmBytes     int64 // svgtrace.wasm as built, and its .gz as sent
	WasmGzBytes   int64
	PhotoBytes    int

	Direct   []float64          // ms, svgtrace.trace in the benchmark's Worker
	Embed    []float64          // ms, tracer.trace(ImageData) from the page
	SVGBytes int                // of the 400 px trace
	Timings  map[string]float64 // ms by stage, stats.timings of the fastest direct trace

	PlaceholderFirst float64   // ms, the first tracer.trace(photo), not counted
	Placeholder      []float64 // ms, call to resolve
	Shown            []float64 // ms, call to the <img> of the data URI loaded
	DataURIBytes     int

	LongTasks []float64 // ms, main-thread tasks of 50 ms or more during the traces
	WindowMs  float64   // the span they were watched over

	LoadImport []float64 // ms, fresh page: import('/svgtrace.js')
	LoadCreate []float64 // ms, fresh page: createTracer() to resolve

	Offline *OfflineResult
}

// OfflineResult is the gallery's second load, offline.
type OfflineResult struct {
	Err       string  // why it could not be measured or did not work
	Works     bool    // the page loaded and a tracer traced, offline
	ReloadMs  float64 // the reload, offline, to the load event
	CreateMs  float64 // createTracer on the offline page
	InstallMs float64 // the first load to navigator.serviceWorker.controller
}

// browserSettings describes the browser section's run for the report.
func browserSettings(c *config) string {
	n := browserCountsOf(c)
	return fmt.Sprintf("browser: %d traces from pixels after %d warm-up, %d placeholders after %d, %d fresh loads",
		n.runs, n.warmup, n.photoRuns, n.photoWarmup, n.loads)
}

func browserCountsOf(c *config) browserCounts {
	if c.quick {
		return quickBrowserCounts
	}
	return fullBrowserCounts
}

// browserBenchmarks runs the browser section: it builds the wasm, serves
// web/embed with it and the benchmark page from a loopback test server,
// and drives a headless Chromium with a fresh profile.
func browserBenchmarks(ctx context.Context, c *config, e *env) (*BrowserBench, error) {
	bb := &BrowserBench{Counts: browserCountsOf(c)}
	chromium := headless.Find()
	if chromium == "" {
		bb.Skipped = "chromium is not installed (apt-get install chromium; make deps does it)"
		logf("browser: skipped: %s", bb.Skipped)
		return bb, nil
	}
	bb.Chromium = firstLine(output(ctx, e.root, nil, chromium, "--version"))

	wasmDir := filepath.Join(e.tmp, "wasm")
	logf("go run ./wasm/build -quick -o %s", wasmDir)
	if err := runQuiet(ctx, e.root, nil, "go", "run", "./wasm/build", "-quick", "-o", wasmDir); err != nil {
		return nil, err
	}
	for name, n := range map[string]*int64{"svgtrace.wasm": &bb.WasmBytes, "svgtrace.wasm.gz": &bb.WasmGzBytes} {
		fi, err := os.Stat(filepath.Join(wasmDir, name))
		if err != nil {
			return nil, err
		}
		*n = fi.Size()
	}
	page, err := fs.Sub(browserpage, "browserpage")
	if err != nil {
		return nil, err
	}
	photo := filepath.Join(e.root, "tracecore", "testdata", "images", "picos.jpg")
	srv := httptest.NewServer(browserHandler(wasmDir, filepath.Join(e.root, "web", "embed"), page, photo))
	defer srv.Close()

	bctx, stop, err := startBrowser(ctx, chromium, filepath.Join(e.tmp, "chromium"))
	if err != nil {
		return nil, err
	}
	defer stop()

	if err := bb.traces(bctx, srv.URL); err != nil {
		return nil, err
	}
	for i := range bb.Counts.loads {
		imp, create, err := firstLoad(bctx, srv.URL)
		if err != nil {
			return nil, fmt.Errorf("browser: fresh load %d: %w", i+1, err)
		}
		bb.LoadImport = append(bb.LoadImport, imp)
		bb.LoadCreate = append(bb.LoadCreate, create)
	}
	logf("browser: createTracer on %d fresh pages, median %s", len(bb.LoadCreate), fmtMs(median(bb.LoadCreate)))

	bb.Offline = offlineLoad(ctx, e, chromium, wasmDir)
	if bb.Offline.Err != "" {
		logf("browser: the offline load: %s", bb.Offline.Err)
	}
	return bb, nil
}

// browserHandler serves web/embed with the wasm build's files beside
// svgtrace.js (svgtrace.wasm as its .gz when the browser takes gzip, as
// svgtrace serve sends it), and the benchmark page and the photo at
// /bench/. Nothing may be cached: every fresh load fetches everything.
func browserHandler(wasmDir, embedDir string, page fs.FS, photo string) http.Handler {
	mux := http.NewServeMux()
	files := http.FileServer(http.Dir(embedDir))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "svgtrace.wasm" && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Vary", "Accept-Encoding")
			http.ServeFile(w, r, filepath.Join(wasmDir, name+".gz"))
			return
		}
		if name == "svgtrace.wasm" || name == "wasm_exec.js" {
			http.ServeFile(w, r, filepath.Join(wasmDir, name))
			return
		}
		files.ServeHTTP(w, r)
	})
	pageFiles := http.StripPrefix("/bench/", http.FileServer(http.FS(page)))
	mux.HandleFunc("/bench/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path == "/bench/picos.jpg" {
			http.ServeFile(w, r, photo)
			return
		}
		pageFiles.ServeHTTP(w, r)
	})
	return mux
}

// startBrowser starts a headless Chromium with a fresh profile in dir. The
// returned context is the browser's first tab; stop ends the browser.
func startBrowser(ctx context.Context, chromium, dir string) (context.Context, func(), error) {
	opts := headless.Options(chromium, dir)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	stop := func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser to exit
	}
	// No deadline on the first Run (it would end the browser); a watchdog
	// bounds the whole session instead.
	watchdog := time.AfterFunc(browserSessionTimeout, func() {
		logf("browser: the session took over %s: stopping the browser", browserSessionTimeout)
		cancelBrowser()
	})
	if err := chromedp.Do(bctx); err != nil {
		watchdog.Stop()
		stop()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return bctx, func() { watchdog.Stop(); stop() }, nil
}

// evaluate runs a JavaScript expression of a Promise on the tab of ctx and
// decodes its value into T, within browserStepTimeout.
func evaluate[T any](ctx context.Context, expr string) (T, error) {
	sctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	var ex *chromedp.ExceptionError
	if errors.As(err, &ex) {
		err = fmt.Errorf("javascript: %w", err)
	}
	return v, err
}

// navigate loads url in the tab of ctx, within browserStepTimeout.
func navigate(ctx context.Context, url string) error {
	sctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	return chromedp.Do(sctx, chromedp.Navigate(url))
}

// browserRun is what window.bench.run of the page resolves to.
type browserRun struct {
	PhotoBytes   int                `json:"photoBytes"`
	Width        int                `json:"width"`
	Height       int                `json:"height"`
	Version      string             `json:"version"`
	Direct       []float64          `json:"direct"`
	SVGBytes     int                `json:"svgBytes"`
	Timings      map[string]float64 `json:"timings"`
	Embed        []float64          `json:"embed"`
	First        float64            `json:"first"`
	Resolved     []float64          `json:"resolved"`
	Shown        []float64          `json:"shown"`
	DataURIBytes int                `json:"dataURIBytes"`
	LongTasks    []float64          `json:"longTasks"`
	WindowMs     float64            `json:"windowMs"`
}

// traces runs the benchmark page's traces in the browser's first tab.
func (bb *BrowserBench) traces(ctx context.Context, base string) error {
	if err := navigate(ctx, base+"/bench/"); err != nil {
		return fmt.Errorf("browser: load the benchmark page: %w", err)
	}
	if _, err := evaluate[bool](ctx, `new Promise((resolve) => { const f = () => window.bench ? resolve(true) : setTimeout(f, 10); f(); })`); err != nil {
		return fmt.Errorf("browser: the benchmark page: %w", err)
	}
	n := bb.Counts
	logf("browser: %d traces of 400×300 pixels after %d warm-up, %d placeholders of picos.jpg after %d", n.runs, n.warmup, n.photoRuns, n.photoWarmup)
	r, err := evaluate[browserRun](ctx, fmt.Sprintf(`window.bench.run(%d, %d, %d, %d)`, n.warmup, n.runs, n.photoWarmup, n.photoRuns))
	if err != nil {
		return fmt.Errorf("browser: the traces: %w", err)
	}
	bb.PhotoBytes, bb.Width, bb.Height, bb.Version = r.PhotoBytes, r.Width, r.Height, r.Version
	bb.Direct, bb.SVGBytes, bb.Timings, bb.Embed = r.Direct, r.SVGBytes, r.Timings, r.Embed
	bb.PlaceholderFirst, bb.Placeholder, bb.Shown, bb.DataURIBytes = r.First, r.Resolved, r.Shown, r.DataURIBytes
	bb.LongTasks, bb.WindowMs = r.LongTasks, r.WindowMs
	logf("browser: trace from pixels median %s; placeholder median %s; %d long tasks",
		fmtMs(median(bb.Direct)), fmtMs(median(bb.Placeholder)), len(bb.LongTasks))
	return nil
}

// firstLoad opens the benchmark page in a new tab of a new browser context
// (its own, empty, HTTP cache; the browser cache disabled besides) and
// times the module's import and createTracer.
func firstLoad(bctx context.Context, base string) (importMs, createMs float64, err error) {
	tctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(tctx, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return chromedp.Void{}, err
	}); err != nil {
		return 0, 0, fmt.Errorf("disable the cache: %w", err)
	}
	if err := navigate(tctx, base+"/bench/"); err != nil {
		return 0, 0, err
	}
	r, err := evaluate[struct {
		ImportMs float64 `json:"importMs"`
		CreateMs float64 `json:"createMs"`
		OK       bool    `json:"ok"`
	}](tctx, `new Promise((resolve) => { const f = () => window.bench ? resolve() : setTimeout(f, 5); f(); }).then(() => window.bench.firstLoad())`)
	if err != nil {
		return 0, 0, err
	}
	if !r.OK {
		return 0, 0, errors.New("the fresh tracer's trace is not an SVG")
	}
	return r.ImportMs, r.CreateMs, nil
}

// offlineLoad measures the gallery's second load offline: `svgtrace serve`
// with this wasm build, the gallery loaded in a browser of its own (a fresh
// profile: in a second browser context of a browser, Runtime.evaluate on a
// page with a service worker never answered) until its service worker
// controls the page, then the network emulated offline and the server
// stopped besides, and the page reloaded; it works when the page loads and
// a tracer made on it traces. A failure to measure is reported, not
// returned: the rest of the section stands.
func offlineLoad(ctx context.Context, e *env, chromium, wasmDir string) *OfflineResult {
	res := &OfflineResult{}
	if e.svgtrace == "" {
		e.svgtrace = filepath.Join(e.tmp, "bin", "svgtrace")
		logf("go build -o %s ./backend/cmd/svgtrace", e.svgtrace)
		if err := runQuiet(ctx, e.root, nil, "go", "build", "-o", e.svgtrace, "./backend/cmd/svgtrace"); err != nil {
			res.Err = err.Error()
			return res
		}
	}
	dir, err := os.MkdirTemp(e.tmp, "gallery-")
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	s, err := startGallery(ctx, e.svgtrace, dir, wasmDir)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	stopped := false
	defer func() {
		if !stopped {
			s.stop()
		}
	}()

	tctx, stopBrowser, err := startBrowser(ctx, chromium, filepath.Join(e.tmp, "chromium-offline"))
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer stopBrowser()
	t0 := time.Now()
	if err := navigate(tctx, s.base+"/"); err != nil {
		res.Err = "first load: " + err.Error()
		return res
	}
	// Until a service worker controls the page, or else what became of it.
	state, err := evaluate[string](tctx, `(async () => {
		const t0 = performance.now();
		while (!(navigator.serviceWorker && navigator.serviceWorker.controller) && performance.now() - t0 < 30000) {
			await new Promise((r) => setTimeout(r, 20));
		}
		if (navigator.serviceWorker && navigator.serviceWorker.controller) return '';
		const r = navigator.serviceWorker && await navigator.serviceWorker.getRegistration();
		return JSON.stringify({secureContext: isSecureContext, serviceWorker: !!navigator.serviceWorker, registered: !!r,
			installing: r && r.installing && r.installing.state, waiting: r && r.waiting && r.waiting.state, active: r && r.active && r.active.state});
	})()`)
	if err == nil && state != "" {
		err = errors.New("no controller after 30 s: " + state)
	}
	if err != nil {
		res.Err = "waiting for the service worker to control the page: " + err.Error()
		return res
	}
	res.InstallMs = msBetween(t0, time.Now())

	offline := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		yes := true
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &yes,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return chromedp.Void{}, fmt.Errorf("emulate offline: %w", err)
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(tctx, offline); err != nil {
		res.Err = err.Error()
		return res
	}
	stopped = true
	if err := s.stop(); err != nil {
		res.Err = "stop svgtrace serve: " + err.Error()
		return res
	}
	t1 := time.Now()
	if err := navigate(tctx, s.base+"/"); err != nil {
		res.Err = "the offline reload: " + err.Error()
		return res
	}
	res.ReloadMs = msBetween(t1, time.Now())
	r, err := evaluate[struct {
		Page     bool    `json:"page"`
		Online   bool    `json:"online"`
		CreateMs float64 `json:"createMs"`
		OK       bool    `json:"ok"`
	}](tctx, `(async () => {
		const page = !!document.querySelector('#status') && !!navigator.serviceWorker.controller;
		const {createTracer} = await import('/embed/svgtrace.js');
		const t0 = performance.now();
		const t = await createTracer({workerURL: '/embed/worker.js', wasmURL: '/wasm/svgtrace.wasm', wasmExecURL: '/wasm/wasm_exec.js', timeout: 20000});
		const createMs = performance.now() - t0;
		const r = await t.trace(new ImageData(8, 8));
		t.close();
		return {page, online: navigator.onLine, createMs, ok: r.svg.startsWith('<svg')};
	})()`)
	if err != nil {
		res.Err = "the offline page: " + err.Error()
		return res
	}
	res.CreateMs = r.CreateMs
	res.Works = r.Page && r.OK && !r.Online
	if !res.Works {
		res.Err = fmt.Sprintf("page shown %v, tracer traced %v, navigator.onLine %v", r.Page, r.OK, r.Online)
	}
	logf("browser: offline reload %s, createTracer %s, works %v", fmtMs(res.ReloadMs), fmtMs(res.CreateMs), res.Works)
	return res
}

// startGallery starts `svgtrace serve` without workers, serving the wasm
// build of wasmDir, on a free loopback port.
func startGallery(ctx context.Context, bin, dir, wasmDir string) (*serveProc, error) {
	return startServe(ctx, bin, dir, 0, "--wasm-dir", wasmDir)
}

// longest returns the largest of xs, 0 for none.
func longest(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// countOver returns how many of xs exceed limit.
func countOver(xs []float64, limit float64) int {
	n := 0
	for _, x := range xs {
		if x > limit {
			n++
		}
	}
	return n
}

// Targets judges the browser targets; none when the section was skipped.
func (bb *BrowserBench) Targets() []Target {
	if bb.Skipped != "" {
		return nil
	}
	ts := []Target{
		limitTarget(fmt.Sprintf("Chromium: %d×%d trace from pixels (svgtrace.trace in a Worker), median", bb.Width, bb.Height),
			median(bb.Direct), targetPixelsMs, "ms"),
		limitTarget(fmt.Sprintf("Chromium: the embed module's placeholder of picos.jpg (%s Blob), call to resolve, median", fmtBytes(bb.PhotoBytes)),
			median(bb.Placeholder), targetPlaceholderUI, "ms"),
	}
	lt := limitTarget(fmt.Sprintf("Chromium: longest main-thread task during those traces (%d long tasks ≥ 50 ms, %d over)",
		len(bb.LongTasks), countOver(bb.LongTasks, targetLongTaskMs)), longest(bb.LongTasks), targetLongTaskMs, "ms")
	if len(bb.LongTasks) == 0 {
		lt = Target{true, fmt.Sprintf("Chromium: main-thread tasks over 50 ms during those traces (long-task observer): none (target none over %d ms)", targetLongTaskMs)}
	}
	ts = append(ts, lt,
		limitTarget("Chromium: first load, createTracer() on a fresh page (wasm fetched and instantiated over loopback), median",
			median(bb.LoadCreate), targetFirstLoadMs, "ms"))
	o := bb.Offline
	switch {
	case o == nil:
		ts = append(ts, Target{false, "Chromium: the gallery's second load works offline: not measured"})
	case o.Works:
		ts = append(ts, Target{true, fmt.Sprintf("Chromium: the gallery's second load works offline: yes (reload %s, createTracer %s)",
			fmtMs(o.ReloadMs), fmtMs(o.CreateMs))})
	default:
		ts = append(ts, Target{false, "Chromium: the gallery's second load works offline: no (" + o.Err + ")"})
	}
	return ts
}

func (bb *BrowserBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Browser (headless Chromium)\n\n")
	if bb.Skipped != "" {
		p("Not measured: %s.\n\n", bb.Skipped)
		return
	}
	n := bb.Counts
	p("%s, headless, with a fresh profile, driven over the DevTools protocol (chromedp). ", bb.Chromium)
	p("The wasm is built with `go run ./wasm/build -quick` (svgtrace %s: %s raw, %s gzipped, sent gzipped) and served with ",
		bb.Version, fmtBytes(int(bb.WasmBytes)), fmtBytes(int(bb.WasmGzBytes)))
	p("web/embed and the benchmark page (backend/cmd/svgtrace-bench/browserpage) by a Go test server on 127.0.0.1, ")
	p("every response `Cache-Control: no-store`. Times are `performance.now()` in the page or the Worker.\n\n")
	p("- Trace from pixels: picos.jpg decoded by the browser and drawn at %d×%d on a canvas; its ImageData traced with the ", bb.Width, bb.Height)
	p("placeholder preset (no options) %d times after %d warm-up runs by `svgtrace.trace`, the wasm API, in the benchmark's own ", n.runs, n.warmup)
	p("Worker (loaded as the embed module's worker.js loads it), then as often through the embed module, `tracer.trace(imageData)` from ")
	p("the page: the same trace plus the copy to the Worker and the result back. The SVG is %s. ", fmtBytes(bb.SVGBytes))
	p("For comparison, the issue gives esm-potrace-wasm (potrace's C compiled to wasm) ~3.3 ms; not measured here.\n")
	p("- Placeholder: `tracer.trace(blob)` of picos.jpg (%s, fetched once as a Blob; the tracer created once before), ", fmtBytes(bb.PhotoBytes))
	p("%d times after %d unmeasured (the first took %s): decoded (by WebCodecs' ImageDecoder at 1/8 scale, of its DC scan only: worker.js's scaledJPEG), downscaled on an OffscreenCanvas and traced, ",
		n.photoRuns, n.photoWarmup, fmtMs(bb.PlaceholderFirst))
	p("all in the Worker; then an `<img>` of the data URI (%s) put into the page until its load event.\n", fmtBytes(bb.DataURIBytes))
	p("- Long tasks: a PerformanceObserver for `longtask` registered by the page's first script, before anything else; counted over ")
	p("the %s of the two runs above. The API reports only tasks of 50 ms or more.\n", fmtMs(bb.WindowMs))
	p("- First load: %d times, a new tab in a new browser context (its own empty HTTP cache; Network.setCacheDisabled besides) ", n.loads)
	p("opens the benchmark page, then times `import('/svgtrace.js')` and `createTracer()` from the call to the resolve: the Worker ")
	p("started, wasm_exec.js and svgtrace.wasm fetched, compiled, instantiated and run until it installed its API.\n")
	p("- Offline: the embed module has no service worker; the gallery of `svgtrace serve --workers 0 --wasm-dir DIR` has one ")
	p("(/sw.js, caching the app shell and the wasm). A second Chromium with a fresh profile loads / until `navigator.serviceWorker.controller` is set, ")
	p("then the network is emulated offline (Network.emulateNetworkConditionsByRule with emulateOfflineServiceWorker, ")
	p("Network.overrideNetworkState) and the server is stopped besides; / is loaded again, and on it `createTracer` of the gallery's ")
	p("files and a trace must work.\n\n")

	p("| measurement | runs | median | min–max | target | |\n")
	p("|---|--:|--:|--:|--:|---|\n")
	row := func(what string, xs []float64, target float64) {
		s := summarize(xs)
		t, verdict := "", ""
		if target > 0 {
			t, verdict = fmt.Sprintf("≤ %s ms", fmtSig3(target)), passWord(s.Median, target)
		}
		med, rng := "n/a", "n/a"
		if s.N > 0 {
			med, rng = fmtMs(s.Median), fmtSig3(s.Min)+"–"+fmtMs(s.Max)
		}
		p("| %s | %d | %s | %s | %s | %s |\n", what, s.N, med, rng, t, verdict)
	}
	row(fmt.Sprintf("%d×%d trace from pixels, svgtrace.trace in a Worker", bb.Width, bb.Height), bb.Direct, targetPixelsMs)
	row(fmt.Sprintf("%d×%d trace from pixels, embed tracer.trace(ImageData) from the page", bb.Width, bb.Height), bb.Embed, 0)
	row("placeholder of picos.jpg, tracer.trace(blob) call → resolved", bb.Placeholder, targetPlaceholderUI)
	row("placeholder of picos.jpg, call → `<img>` of the data URI loaded", bb.Shown, 0)
	longestTask := "none"
	if len(bb.LongTasks) > 0 {
		longestTask = fmtMs(longest(bb.LongTasks))
	}
	p("| longest main-thread task during the above | %d ≥ 50 ms, %d over | %s | | ≤ %d ms | %s |\n",
		len(bb.LongTasks), countOver(bb.LongTasks, targetLongTaskMs), longestTask, targetLongTaskMs,
		passWord(longest(bb.LongTasks), targetLongTaskMs))
	row("first load: createTracer() on a fresh page", bb.LoadCreate, targetFirstLoadMs)
	row("first load: import('/svgtrace.js') before it", bb.LoadImport, 0)
	if o := bb.Offline; o != nil {
		detail := "works: no; " + strings.ReplaceAll(o.Err, "\n", " ")
		if o.Works {
			detail = fmt.Sprintf("works: yes; reload %s, createTracer %s (first load to a controlling service worker %s)",
				fmtMs(o.ReloadMs), fmtMs(o.CreateMs), fmtMs(o.InstallMs))
		}
		verdict := "MISS"
		if o.Works {
			verdict = "PASS"
		}
		p("| the gallery's second load, offline | 1 | %s | | works | %s |\n", detail, verdict)
	}
	if len(bb.Timings) > 0 {
		p("\nStages of the fastest %d×%d trace from pixels (its stats.timings): %s.\n", bb.Width, bb.Height, fmtTimings(bb.Timings))
	}
	p("\n")
}

// stageOrder is tracecore's order of the stages timings name.
var stageOrder = []string{"prepare", "decompose", "polygon", "smooth", "optimize"}

// fmtTimings formats ms by stage in tracecore's order, then any others by
// name.
func fmtTimings(ms map[string]float64) string {
	var parts []string
	for _, st := range stageOrder {
		if v, ok := ms[st]; ok {
			parts = append(parts, st+" "+fmtMs(v))
		}
	}
	var rest []string
	for st := range ms {
		if !slices.Contains(stageOrder, st) {
			rest = append(rest, st)
		}
	}
	slices.Sort(rest)
	for _, st := range rest {
		parts = append(parts, st+" "+fmtMs(ms[st]))
	}
	return strings.Join(parts, ", ")
}
