package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/svgtrace/svgtrace/internal/workerd"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// The edge section: wasm/edge's Workers bundle, built as make edge builds
// it, run under workerd (Cloudflare's runtime, npm workerd, which make bench
// installs and names in SVGTRACE_WORKERD) on a loopback socket. It measures
// the bundle's size against the Workers plans' limits, the start-up of a
// fresh workerd process, the start-up every request pays (syumai's glue
// starts a new Go instance per request from the module compiled once per
// isolate), and a 400 px trace: latency, requests per second, and the CPU
// time workerd spends per request, which is what Cloudflare bills and
// limits (10 ms on the free plan).

// Counts of the edge section. Bounded so the section takes about 30 s.
const (
	edgeColdStarts  = 5   // fresh workerd processes, for the first answers
	edgeWarmup      = 5   // unmeasured trace requests before the measured ones
	edgeEmptyRuns   = 100 // GET / requests: a fresh Go instance and no work
	edgeTraceRuns   = 60  // sequential trace requests
	edgeConcurrency = 4   // clients of the concurrent run, twice the cores here
	edgeConcRuns    = 60  // trace requests of the concurrent run
)

// edgeSide is the traced image's longer side: the placeholder preset's.
const edgeSide = 400

// edgeReadyTimeout bounds a workerd start-up (compiling the 7 MB module
// takes about a second).
const edgeReadyTimeout = 30 * time.Second

// An EdgeBench is what the edge section measured.
type EdgeBench struct {
	Skipped string // why the section did not run, "" when it did

	Workerd string // workerd --version
	Files   []EdgeFile

	ColdReadyMs  []float64 // workerd start to its first answer (GET /)
	ColdTraceMs  []float64 // the first trace request after that
	EmptyMs      []float64 // GET /: per-request Go start-up and a trivial answer
	EmptyCPUMs   float64   // workerd CPU per GET /
	TraceMs      []float64 // sequential 400 px traces
	TraceCPUMs   float64   // workerd CPU per trace request
	TraceRPS     float64   // sequential
	ConcRPS      float64   // edgeConcurrency clients
	ConcMs       []float64 // latencies of the concurrent run
	ImageW       int
	ImageH       int
	ImageBytes   int
	ImageName    string
	ResponseSize int
}

// An EdgeFile is one module of the Worker.
type EdgeFile struct {
	Name      string
	Raw, Gzip int
}

// edgeBenchmarks builds the bundle and measures it under workerd.
func edgeBenchmarks(ctx context.Context, e *env) (*EdgeBench, error) {
	eb := &EdgeBench{}
	bin := os.Getenv("SVGTRACE_WORKERD")
	if bin == "" {
		if p, err := exec.LookPath("workerd"); err == nil {
			bin = p
		}
	}
	if bin == "" {
		eb.Skipped = "workerd not found (make bench installs it and sets SVGTRACE_WORKERD; or pass -skip-edge)"
		logf("edge: skipped: %s", eb.Skipped)
		return eb, nil
	}
	eb.Workerd = firstLine(output(ctx, e.root, nil, bin, "--version"))

	dir := filepath.Join(e.tmp, "edge")
	logf("edge: the bundle, as make edge builds it, into %s", dir)
	if err := workerd.Build(ctx, e.root, dir); err != nil {
		return nil, err
	}
	for _, name := range workerd.Modules {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		eb.Files = append(eb.Files, EdgeFile{Name: name, Raw: len(b), Gzip: gzipLen(b)})
	}

	img, err := edgeImage(e.root)
	if err != nil {
		return nil, err
	}
	eb.ImageName, eb.ImageBytes = "picos.jpg at 400×300, JPEG quality 90", len(img)
	eb.ImageW, eb.ImageH = edgeSide, edgeSide*3/4

	client := &http.Client{Timeout: 60 * time.Second}

	for i := range edgeColdStarts {
		w, err := workerd.Start(ctx, bin, dir, dir, edgeReadyTimeout)
		if err != nil {
			return nil, err
		}
		eb.ColdReadyMs = append(eb.ColdReadyMs, float64(w.Ready.Microseconds())/1000)
		ms, _, err := edgeTrace(client, w.URL, img)
		if err != nil {
			w.Stop()
			return nil, err
		}
		eb.ColdTraceMs = append(eb.ColdTraceMs, ms)
		if i < edgeColdStarts-1 {
			w.Stop()
			continue
		}
		// The last process stays for the warm runs.
		err = eb.warmRuns(client, w, img)
		w.Stop()
		if err != nil {
			return nil, err
		}
	}
	logf("edge: trace p50 %s, %.1f req/s sequential, %.1f req/s with %d clients, %.1f ms CPU per trace",
		fmtMs(median(eb.TraceMs)), eb.TraceRPS, eb.ConcRPS, edgeConcurrency, eb.TraceCPUMs)
	return eb, nil
}

// warmRuns measures requests to a running workerd.
func (eb *EdgeBench) warmRuns(client *http.Client, w *workerd.Process, img []byte) error {
	cpu0 := w.CPUMillis()
	for range edgeEmptyRuns {
		start := time.Now()
		resp, err := client.Get(w.URL + "/")
		if err != nil {
			return fmt.Errorf("edge: GET /: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		eb.EmptyMs = append(eb.EmptyMs, msSince(start))
	}
	eb.EmptyCPUMs = (w.CPUMillis() - cpu0) / edgeEmptyRuns

	for range edgeWarmup {
		if _, _, err := edgeTrace(client, w.URL, img); err != nil {
			return err
		}
	}
	cpu0 = w.CPUMillis()
	start := time.Now()
	for range edgeTraceRuns {
		ms, n, err := edgeTrace(client, w.URL, img)
		if err != nil {
			return err
		}
		eb.TraceMs = append(eb.TraceMs, ms)
		eb.ResponseSize = n
	}
	eb.TraceRPS = edgeTraceRuns / time.Since(start).Seconds()
	eb.TraceCPUMs = (w.CPUMillis() - cpu0) / edgeTraceRuns

	var mu sync.Mutex
	var firstErr error
	next := make(chan struct{}, edgeConcRuns)
	for range edgeConcRuns {
		next <- struct{}{}
	}
	close(next)
	var wg sync.WaitGroup
	start = time.Now()
	for range edgeConcurrency {
		wg.Go(func() {
			for range next {
				ms, _, err := edgeTrace(client, w.URL, img)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				eb.ConcMs = append(eb.ConcMs, ms)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	eb.ConcRPS = edgeConcRuns / time.Since(start).Seconds()
	return firstErr
}

// edgeTrace posts img for an SVG and returns the latency and the answer's
// size.
func edgeTrace(client *http.Client, base string, img []byte) (float64, int, error) {
	start := time.Now()
	resp, err := client.Post(base+"/trace", "image/jpeg", bytes.NewReader(img))
	if err != nil {
		return 0, 0, fmt.Errorf("edge: POST /trace: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ms := msSince(start)
	if err != nil {
		return 0, 0, fmt.Errorf("edge: POST /trace: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("<svg")) {
		return 0, 0, fmt.Errorf("edge: POST /trace: %s: %.200s", resp.Status, b)
	}
	return ms, len(b), nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// edgeImage is the benchmark's upload: picos.jpg scaled to 400 px, as a
// page would send a small photo.
func edgeImage(root string) ([]byte, error) {
	f, err := os.Open(filepath.Join(root, "tracecore", "testdata", "images", "picos.jpg"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := imageio.Decode(f, 0)
	if err != nil {
		return nil, err
	}
	dst := image.NewRGBA(image.Rect(0, 0, edgeSide, edgeSide*3/4))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

// edgeSettings describes the edge section's run for the report.
func edgeSettings() string {
	return fmt.Sprintf("edge: %d fresh workerd processes, %d GET /, %d sequential traces after %d warm-up, %d with %d clients",
		edgeColdStarts, edgeEmptyRuns, edgeTraceRuns, edgeWarmup, edgeConcRuns, edgeConcurrency)
}

// edgeFreeBundle is Cloudflare's limit on a Worker's compressed size on
// the free plan, the target for the bundle.
const edgeFreeBundle = 3 << 20

// Targets judges the edge target: the bundle fits the free plan.
func (eb *EdgeBench) Targets() []Target {
	if eb.Skipped != "" {
		return nil
	}
	gz := 0
	for _, f := range eb.Files {
		gz += f.Gzip
	}
	return []Target{limitTarget("edge: the Workers bundle, gzipped (Cloudflare's free plan allows 3 MB)",
		float64(gz)/(1<<20), float64(edgeFreeBundle)/(1<<20), "MiB")}
}

// section renders the edge section.
func (eb *EdgeBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Edge worker (wasm/edge under workerd)\n\n")
	if eb.Skipped != "" {
		p("Skipped: %s.\n\n", eb.Skipped)
		return
	}
	p("The Workers bundle built as `make edge` builds it (standard Go, GOOS=js GOARCH=wasm, `-trimpath -ldflags=\"-s -w\"`, ")
	p("syumai/workers' glue), run by %s on a loopback socket. Each request starts a fresh Go instance from the module, ", eb.Workerd)
	p("which workerd compiles once per process (per isolate); CPU is workerd's user+system time over the run divided by the requests. ")
	p("Sizes gzipped at level 9; Cloudflare's limits apply to the compressed Worker: 3 MB on the free plan, 10 MB on the paid plans.\n\n")
	p("| module | raw | gzip |\n|---|--:|--:|\n")
	var raw, gz int
	for _, f := range eb.Files {
		p("| %s | %s | %s |\n", f.Name, fmtBytes(f.Raw), fmtBytes(f.Gzip))
		raw += f.Raw
		gz += f.Gzip
	}
	p("| **total** | %s | %s |\n\n", fmtBytes(raw), fmtBytes(gz))

	p("Upload: %s (%s), answer: SVG of %s, default options (the placeholder preset).\n\n", eb.ImageName, fmtBytes(eb.ImageBytes), fmtBytes(eb.ResponseSize))
	p("| measure | p50 | min–max | n |\n|---|--:|--:|--:|\n")
	row := func(name string, xs []float64) {
		s := summarize(xs)
		p("| %s | %s | %s–%s | %d |\n", name, fmtMs(s.Median), fmtMs(s.Min), fmtMs(s.Max), s.N)
	}
	row("fresh workerd: start to first answer (GET /; module compile + Go start-up)", eb.ColdReadyMs)
	row("fresh workerd: first trace after that", eb.ColdTraceMs)
	row("GET / (per-request Go start-up, nothing traced)", eb.EmptyMs)
	row("trace, sequential", eb.TraceMs)
	row(fmt.Sprintf("trace, %d clients", edgeConcurrency), eb.ConcMs)
	p("\n")
	p("- CPU per request: %.1f ms for GET / (the Go start-up every request pays), %.1f ms per 400 px trace; the free plan allows 10 ms.\n",
		eb.EmptyCPUMs, eb.TraceCPUMs)
	p("- Requests/s: %.1f sequential, %.1f with %d clients (one workerd process).\n\n", eb.TraceRPS, eb.ConcRPS, edgeConcurrency)
}
