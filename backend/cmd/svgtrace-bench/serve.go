package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/store"
)

// Targets of the backend section.
const (
	targetUpload202Ms   = 30  // picos.jpg upload to its 202, p50
	targetTracedSmallMs = 100 // ~100 KB photo, upload start to traced, p50
	targetTracedPhotoMs = 400 // picos.jpg, upload start to traced, p50
	targetQueueMs       = 5   // the queue's own work per job, p50
)

// Sizes of the backend section's runs; -quick shrinks them.
type serveCounts struct {
	idle, busy     int // picos.jpg uploads timed to their 202
	small, photo   int // uploads timed to traced, one at a time
	clients, total int // the throughput run
}

var (
	fullServeCounts  = serveCounts{idle: 30, busy: 30, small: 25, photo: 15, clients: 8, total: 200}
	quickServeCounts = serveCounts{idle: 5, busy: 6, small: 5, photo: 3, clients: 4, total: 24}
)

// Bounds on the backend section's waits.
const (
	serveReadyTimeout = 30 * time.Second // start to /readyz answering 200
	serveStopTimeout  = 30 * time.Second // SIGTERM to exit (the server's grace is 10 s, its workers' 15 s)
	tracedTimeout     = 60 * time.Second // one image, upload to traced
	drainTimeout      = 3 * time.Minute  // every image of a run traced
	requestTimeout    = time.Minute      // one HTTP request
	pollEvery         = 5 * time.Millisecond
)

// smallWidth is the width of the ~100 KB photo made from picos.jpg.
const smallWidth = 800

// ServeBench is the backend section: a real `svgtrace serve` with real
// multipart uploads over loopback.
type ServeBench struct {
	NumCPU  int
	Workers int
	Counts  serveCounts
	Cmd     string // the serve command line, with placeholders for the port and directory

	PhotoBytes         int
	SmallBytes         int
	SmallW, SmallH     int
	SmallQuality       int
	UploadIdle         []float64 // ms, picos.jpg upload to its 202, --workers 0
	UploadBusy         []float64 // ms, the same while the workers trace the previous uploads
	UploadSmall        []float64 // ms, ~100 KB upload to its 202 in the latency run
	TracedSmall        []float64 // ms, upload start to traced_at, ~100 KB
	TracedPhoto        []float64 // ms, the same, picos.jpg
	SeenSmall          []float64 // ms, upload start to a GET showing it traced
	SeenPhoto          []float64
	TraceSmall         []float64 // ms, the worker's traceMillis
	TracePhoto         []float64
	BusyTraced         int           // traces that ran while the busy uploads did
	Runs               []*Throughput // with one worker, then with Workers
	FetchWait          []float64     // ms, job available to fetched, one upload at a time
	JobWork            []float64     // ms, fetched to finalized minus traceMillis, one upload at a time
	TimestampPrecision string        // how the job timestamps were stored, for the report
}

// Throughput is a concurrent run: Clients uploading Total distinct ~100 KB
// photos as fast as they are answered, to a server with Workers workers,
// which are saturated (always have a job waiting) for most of the run.
type Throughput struct {
	Workers, Clients, Total int
	UploadSecs              float64   // first POST start to last 202
	TracedSecs              float64   // first POST start to the last traced_at
	Upload                  []float64 // ms, each upload to its 202

	// The saturated queue, per job that was waiting when its worker
	// finished the previous one: Gap is the previous job's finalized_at to
	// this one's attempted_at, Work this one's attempted_at to finalized_at
	// minus its traceMillis.
	Gap, Work    []float64
	MeanOverhead float64 // ms, (Σ workers' busy spans − Σ traceMillis) / jobs
	MeanTrace    float64 // ms, mean traceMillis
}

// Overhead returns Gap + Work, job by job (nil for a nil tp).
func (tp *Throughput) Overhead() []float64 {
	if tp == nil {
		return nil
	}
	o := make([]float64, len(tp.Gap))
	for i := range o {
		o[i] = tp.Gap[i] + tp.Work[i]
	}
	return o
}

// mainRun returns the throughput run with sb.Workers workers, nil if none.
func (sb *ServeBench) mainRun() *Throughput {
	for _, tp := range sb.Runs {
		if tp.Workers == sb.Workers {
			return tp
		}
	}
	return nil
}

// countsOf returns the backend section's run sizes for c.
func countsOf(c *config) serveCounts {
	if c.quick {
		return quickServeCounts
	}
	return fullServeCounts
}

// serveSettings describes the backend section's run sizes for the report.
func serveSettings(c *config) string {
	n := countsOf(c)
	return fmt.Sprintf("%d + %d picos.jpg uploads to their 202, %d + %d uploads to traced, %d clients sharing %d uploads (%d with one worker), %d workers",
		n.idle, n.busy, n.small, n.photo, n.clients, n.total, n.total/2, runtime.NumCPU())
}

// serveBenchmarks runs the backend section: one `svgtrace serve --workers 0`
// for upload latency with nothing tracing, one with a single worker for a
// throughput run, and one with a worker per CPU for the rest.
func serveBenchmarks(ctx context.Context, c *config, e *env) (*ServeBench, error) {
	counts := countsOf(c)
	sb := &ServeBench{NumCPU: runtime.NumCPU(), Workers: runtime.NumCPU(), Counts: counts}
	sb.Cmd = fmt.Sprintf("svgtrace serve --addr 127.0.0.1:PORT --data DIR --workers %d --log-level warn   # and with --workers 0 and 1", sb.Workers)

	photo, err := os.ReadFile(filepath.Join(e.root, "tracecore", "testdata", "images", "picos.jpg"))
	if err != nil {
		return nil, err
	}
	sb.PhotoBytes = len(photo)
	small, w, h, q, err := smallPhoto(photo)
	if err != nil {
		return nil, err
	}
	sb.SmallBytes, sb.SmallW, sb.SmallH, sb.SmallQuality = len(small), w, h, q
	logf("serve: %d-byte photo of %d×%d at quality %d made from picos.jpg", len(small), w, h, q)

	nonce := time.Now().UnixNano() // distinct bytes across runs, too
	variants := 0
	next := func(src []byte) []byte {
		variants++
		return jpegVariant(src, fmt.Sprintf("svgtrace-bench %d %d", nonce, variants))
	}

	// Upload latency with nothing tracing.
	if err := withServer(ctx, e, 0, func(s *serveProc) error {
		cl := newBenchClient(s.base, 2)
		if _, _, _, err := cl.upload(ctx, next(photo)); err != nil { // warm-up
			return err
		}
		logf("serve --workers 0: %d uploads of picos.jpg", counts.idle)
		for range counts.idle {
			_, _, ms, err := cl.upload(ctx, next(photo))
			if err != nil {
				return err
			}
			sb.UploadIdle = append(sb.UploadIdle, ms)
		}
		return nil
	}, nil); err != nil {
		return nil, err
	}

	// Everything else with workers.
	// The saturated queue with one worker, for comparison: no second
	// worker contends for the CPUs and SQLite's write lock.
	if sb.Workers > 1 {
		if err := satRun(ctx, e, sb, 1, counts.clients, counts.total/2, func() []byte { return next(small) }); err != nil {
			return nil, err
		}
	}

	var seqIDs, satIDs []string
	var jobs map[string]jobTimes
	tp := &Throughput{Workers: sb.Workers, Clients: counts.clients, Total: counts.total}
	if err := withServer(ctx, e, sb.Workers, func(s *serveProc) error {
		cl := newBenchClient(s.base, 2*counts.clients)
		// Warm up: the workers are up, their first fetch and trace done.
		for _, src := range [][]byte{small, photo, small} {
			id, _, _, err := cl.upload(ctx, next(src))
			if err != nil {
				return err
			}
			if _, _, err := cl.waitTraced(ctx, id); err != nil {
				return err
			}
		}

		// One upload at a time, each timed until traced.
		for _, run := range []struct {
			src                         []byte
			n                           int
			upload, traced, seen, trace *[]float64 // upload may be nil
			what                        string
		}{
			{small, counts.small, &sb.UploadSmall, &sb.TracedSmall, &sb.SeenSmall, &sb.TraceSmall, fmt.Sprintf("%d-byte photo", len(small))},
			{photo, counts.photo, nil, &sb.TracedPhoto, &sb.SeenPhoto, &sb.TracePhoto, "picos.jpg (1.8 MB)"},
		} {
			logf("serve --workers %d: %d uploads, one at a time until traced: %s", sb.Workers, run.n, run.what)
			for range run.n {
				id, start, ms, err := cl.upload(ctx, next(run.src))
				if err != nil {
					return err
				}
				if run.upload != nil {
					*run.upload = append(*run.upload, ms)
				}
				seen, img, err := cl.waitTraced(ctx, id)
				if err != nil {
					return err
				}
				*run.traced = append(*run.traced, msBetween(start, *img.TracedAt))
				*run.seen = append(*run.seen, msBetween(start, seen))
				*run.trace = append(*run.trace, img.Stats.TraceMillis)
				seqIDs = append(seqIDs, id)
			}
		}

		// Upload latency while the workers trace: picos.jpg back to back,
		// each upload queueing a trace of about the upload's own length
		// or more, so both workers stay busy throughout.
		logf("serve --workers %d: %d uploads of picos.jpg back to back", sb.Workers, counts.busy)
		var busyIDs []string
		for range counts.busy {
			id, _, ms, err := cl.upload(ctx, next(photo))
			if err != nil {
				return err
			}
			sb.UploadBusy = append(sb.UploadBusy, ms)
			busyIDs = append(busyIDs, id)
		}
		busyEnd := time.Now()
		imgs, err := cl.waitAllTraced(ctx, busyIDs)
		if err != nil {
			return err
		}
		for _, img := range imgs {
			if img.TracedAt.Before(busyEnd) {
				sb.BusyTraced++
			}
		}

		// Throughput.
		logf("serve --workers %d: %d clients uploading %d distinct %d-byte photos", sb.Workers, counts.clients, counts.total, len(small))
		satIDs, err = throughput(ctx, cl, tp, func() []byte { return next(small) })
		return err
	}, func(data string) error {
		// The queue's timestamps, read from the database once the server
		// is down.
		var err error
		jobs, sb.TimestampPrecision, err = readJobs(ctx, filepath.Join(data, "svgtrace.db"))
		return err
	}); err != nil {
		return nil, err
	}
	for _, id := range seqIDs {
		j, ok := jobs[id]
		if !ok {
			return nil, fmt.Errorf("no completed trace job for image %s", id)
		}
		sb.FetchWait = append(sb.FetchWait, j.attempted-j.scheduled)
		sb.JobWork = append(sb.JobWork, j.finalized-j.attempted-j.traceMs)
	}
	if err := saturated(jobs, satIDs, tp); err != nil {
		return nil, err
	}
	sb.Runs = append(sb.Runs, tp)
	logf("serve: upload→202 p50 %s idle, %s busy; traced p50 %s (small), %s (picos); queue work p50 %s, saturated %s",
		fmtMs(percentile(sb.UploadIdle, 50)), fmtMs(percentile(sb.UploadBusy, 50)),
		fmtMs(percentile(sb.TracedSmall, 50)), fmtMs(percentile(sb.TracedPhoto, 50)),
		fmtMs(percentile(sb.JobWork, 50)), fmtMs(percentile(tp.Overhead(), 50)))
	return sb, nil
}

// satRun runs a throughput run alone on a server with workers workers and
// adds it to sb.Runs.
func satRun(ctx context.Context, e *env, sb *ServeBench, workers, clients, total int, next func() []byte) error {
	tp := &Throughput{Workers: workers, Clients: clients, Total: total}
	var ids []string
	err := withServer(ctx, e, workers, func(s *serveProc) error {
		cl := newBenchClient(s.base, 2*clients)
		// Warm up: the worker is up, its first fetch and trace done.
		id, _, _, err := cl.upload(ctx, next())
		if err != nil {
			return err
		}
		if _, _, err := cl.waitTraced(ctx, id); err != nil {
			return err
		}
		logf("serve --workers %d: %d clients uploading %d distinct photos", workers, clients, total)
		ids, err = throughput(ctx, cl, tp, next)
		return err
	}, func(data string) error {
		jobs, _, err := readJobs(ctx, filepath.Join(data, "svgtrace.db"))
		if err != nil {
			return err
		}
		return saturated(jobs, ids, tp)
	})
	if err != nil {
		return err
	}
	sb.Runs = append(sb.Runs, tp)
	return nil
}

// throughput runs tp.Clients clients that upload tp.Total distinct photos
// from next between them, then waits for every trace, and fills in tp's
// rates and upload times. It returns the images' IDs.
func throughput(ctx context.Context, cl *benchClient, tp *Throughput, next func() []byte) ([]string, error) {
	bodies := make(chan []byte, tp.Total)
	for range tp.Total {
		bodies <- next() // made before the clock starts
	}
	close(bodies)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		ids      []string
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range tp.Clients {
		wg.Go(func() {
			for b := range bodies {
				id, _, ms, err := cl.upload(ctx, b)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
				ids = append(ids, id)
				tp.Upload = append(tp.Upload, ms)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	tp.UploadSecs = time.Since(start).Seconds()
	imgs, err := cl.waitAllTraced(ctx, ids)
	if err != nil {
		return nil, err
	}
	var last time.Time
	for _, img := range imgs {
		if img.TracedAt.After(last) {
			last = *img.TracedAt
		}
	}
	tp.TracedSecs = last.Sub(start).Seconds()
	return ids, nil
}

// smallPhoto makes the ~100 KB photo: picos.jpg scaled to smallWidth pixels
// wide and encoded at the quality that brings it nearest 100 KB (80–130 KB).
func smallPhoto(photo []byte) (data []byte, w, h, quality int, err error) {
	src, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("decode picos.jpg: %w", err)
	}
	b := src.Bounds()
	w, h = smallWidth, b.Dy()*smallWidth/b.Dx()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
	best, bestQ := []byte(nil), 0
	for q := 95; q >= 40; q -= 5 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}); err != nil {
			return nil, 0, 0, 0, err
		}
		if best == nil || math.Abs(float64(buf.Len())-100e3) < math.Abs(float64(len(best))-100e3) {
			best, bestQ = buf.Bytes(), q
		}
	}
	if len(best) < 80e3 || len(best) > 130e3 {
		return nil, 0, 0, 0, fmt.Errorf("picos.jpg at %d×%d makes %d bytes at best (quality %d), want 80–130 KB", w, h, len(best), bestQ)
	}
	return best, w, h, bestQ, nil
}

// jpegVariant returns src with a comment segment (COM) holding tag right
// after its start-of-image marker: other bytes, so another image to the
// server (uploads are deduplicated by content hash), the same pixels.
func jpegVariant(src []byte, tag string) []byte {
	out := make([]byte, 0, len(src)+4+len(tag))
	out = append(out, src[:2]...) // SOI
	out = append(out, 0xFF, 0xFE)
	out = binary.BigEndian.AppendUint16(out, uint16(2+len(tag)))
	out = append(out, tag...)
	return append(out, src[2:]...)
}

// fmtDur formats a duration as fmtMs does.
func fmtDur(d time.Duration) string { return fmtMs(float64(d.Microseconds()) / 1000) }

// msBetween returns b − a in milliseconds.
func msBetween(a, b time.Time) float64 { return float64(b.Sub(a).Microseconds()) / 1000 }

// A serveProc is a running `svgtrace serve`.
type serveProc struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	data    string
	logPath string
	exited  chan struct{}
	waitErr error
}

// withServer starts `svgtrace serve` with workers worker processes on a
// fresh data directory, waits until it is ready, runs f, and stops it with
// SIGTERM, also when f fails; then, if f succeeded, runs after (if not nil)
// on the stopped server's data directory before removing it.
func withServer(ctx context.Context, e *env, workers int, f func(*serveProc) error, after func(data string) error) (err error) {
	dir, err := os.MkdirTemp(e.tmp, "serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := startServe(ctx, e.svgtrace, dir, workers)
	if err != nil {
		return err
	}
	err = f(s)
	if serr := s.stop(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("%w\n%s", err, s.logTail())
	}
	if after != nil {
		return after(s.data)
	}
	return nil
}

// startServe starts `svgtrace serve` with workers worker processes and any
// more flags, on a free loopback port, and waits until it is ready.
func startServe(ctx context.Context, bin, dir string, workers int, flags ...string) (*serveProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &serveProc{
		base:    fmt.Sprintf("http://127.0.0.1:%d", port),
		data:    filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, "serve.log"),
		exited:  make(chan struct{}),
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data", s.data,
		"--workers", fmt.Sprint(workers), "--log-level", "warn"}, flags...)...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = childAttr()
	// Only our flags: no SVGTRACE_* settings from the environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SVGTRACE_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start svgtrace serve: %w", err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, s.logTail())
	}
	return s, nil
}

// waitReady polls /readyz until it answers 200.
func (s *serveProc) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, serveReadyTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("svgtrace serve exited before it was ready: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("svgtrace serve not ready after %s", serveReadyTimeout)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for the exit, killing the process when it
// takes longer than serveStopTimeout.
func (s *serveProc) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("svgtrace serve exited early: %v", s.waitErr)
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("svgtrace serve: %w", s.waitErr)
		}
		return nil
	case <-time.After(serveStopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("svgtrace serve still running %s after SIGTERM: killed", serveStopTimeout)
	}
}

// logTail returns the end of the server's log, for errors.
func (s *serveProc) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "svgtrace serve log:\n" + string(bytes.TrimSpace(b))
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// benchClient speaks the API.
type benchClient struct {
	http *http.Client
	base string
}

func newBenchClient(base string, conns int) *benchClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	return &benchClient{http: &http.Client{Transport: tr, Timeout: requestTimeout}, base: base}
}

// apiImage is the part of the API's image this harness reads.
type apiImage struct {
	ID       string     `json:"id"`
	Status   string     `json:"status"`
	Error    string     `json:"error"`
	TracedAt *time.Time `json:"tracedAt"`
	Stats    struct {
		TraceMillis float64 `json:"traceMillis"`
	} `json:"stats"`
	Created *bool `json:"created"`
}

// upload posts one JPEG as a multipart upload and returns the new image's
// ID, when the request started and the time from then to its 202 answer,
// read in full, in milliseconds. The body is built before the clock starts.
func (c *benchClient) upload(ctx context.Context, data []byte) (id string, start time.Time, ms float64, err error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/images", bytes.NewReader(body.Bytes()))
	if err != nil {
		return "", start, 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	start = time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return "", start, 0, fmt.Errorf("upload: %w", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ms = msBetween(start, time.Now())
	if err != nil {
		return "", start, 0, fmt.Errorf("upload: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return "", start, 0, fmt.Errorf("upload: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var out struct{ Images []apiImage }
	if err := json.Unmarshal(b, &out); err != nil || len(out.Images) != 1 {
		return "", start, 0, fmt.Errorf("upload: unexpected answer %.200s", b)
	}
	if img := out.Images[0]; img.Created == nil || !*img.Created {
		return "", start, 0, fmt.Errorf("upload: image %s existed already: the variants are not distinct", img.ID)
	}
	return out.Images[0].ID, start, ms, nil
}

// get returns GET /api/images/{id}.
func (c *benchClient) get(ctx context.Context, id string) (apiImage, error) {
	var img apiImage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/images/"+id, nil)
	if err != nil {
		return img, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return img, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return img, err
	}
	if resp.StatusCode != http.StatusOK {
		return img, fmt.Errorf("GET image %s: %s: %s", id, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &img); err != nil {
		return img, fmt.Errorf("GET image %s: %w", id, err)
	}
	switch {
	case img.Status == "failed":
		return img, fmt.Errorf("image %s failed to trace: %s", id, img.Error)
	case img.Status == "traced" && img.TracedAt == nil:
		return img, fmt.Errorf("image %s is traced without a tracedAt", id)
	}
	return img, nil
}

// waitTraced polls the image every pollEvery until it is traced and returns
// when a GET first showed it so, and the image.
func (c *benchClient) waitTraced(ctx context.Context, id string) (time.Time, apiImage, error) {
	ctx, cancel := context.WithTimeout(ctx, tracedTimeout)
	defer cancel()
	for {
		img, err := c.get(ctx, id)
		if err != nil {
			return time.Time{}, img, err
		}
		if img.Status == "traced" {
			return time.Now(), img, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, img, fmt.Errorf("image %s not traced after %s", id, tracedTimeout)
		case <-time.After(pollEvery):
		}
	}
}

// waitAllTraced waits until every image of ids is traced. Jobs run about in
// upload order, so each round asks only up to the first image still
// waiting, and the polling costs the server little.
func (c *benchClient) waitAllTraced(ctx context.Context, ids []string) ([]apiImage, error) {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	done := make([]apiImage, 0, len(ids))
	pending := slices.Clone(ids)
	for len(pending) > 0 {
		var still []string
		for i, id := range pending {
			img, err := c.get(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("%d images not traced after %s", len(pending), drainTimeout)
				}
				return nil, err
			}
			if img.Status != "traced" {
				still = append(still, pending[i:]...)
				break
			}
			done = append(done, img)
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d images not traced after %s", len(pending), drainTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return done, nil
}

// A jobTimes is one completed trace job as the database recorded it, times
// in Unix milliseconds.
type jobTimes struct {
	scheduled, attempted, finalized float64
	worker                          string
	traceMs                         float64 // the image's stats.traceMillis
}

// readJobs reads every completed trace job of the database at path with its
// image's traceMillis, by image ID, and says how precise River's timestamps
// are.
func readJobs(ctx context.Context, path string) (map[string]jobTimes, string, error) {
	db, err := store.Open(ctx, "file:"+path, "")
	if err != nil {
		return nil, "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT json_extract(j.args, '$.image_id'),
			CAST(j.scheduled_at AS TEXT), CAST(j.attempted_at AS TEXT), CAST(j.finalized_at AS TEXT),
			coalesce(json_extract(j.attempted_by, '$[#-1]'), ''), json_extract(i.stats, '$.traceMillis')
		FROM river_job j JOIN images i ON i.id = json_extract(j.args, '$.image_id')
		WHERE j.kind = 'trace' AND j.state = 'completed' AND i.status = 'traced'`)
	if err != nil {
		return nil, "", fmt.Errorf("read trace jobs: %w", err)
	}
	defer rows.Close()
	jobs := map[string]jobTimes{}
	digits := 0
	for rows.Next() {
		var id, sched, att, fin string
		var j jobTimes
		if err := rows.Scan(&id, &sched, &att, &fin, &j.worker, &j.traceMs); err != nil {
			return nil, "", fmt.Errorf("read trace jobs: %w", err)
		}
		for _, f := range []struct {
			s  string
			ms *float64
		}{{sched, &j.scheduled}, {att, &j.attempted}, {fin, &j.finalized}} {
			t, d, err := parseDBTime(f.s)
			if err != nil {
				return nil, "", fmt.Errorf("read trace jobs: %w", err)
			}
			*f.ms = float64(t.UnixMicro()) / 1000
			if digits == 0 || d < digits {
				digits = d
			}
		}
		jobs[id] = j
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("read trace jobs: %w", err)
	}
	prec := "one-second"
	switch {
	case digits >= 6:
		prec = "microsecond"
	case digits >= 3:
		prec = "millisecond"
	}
	return jobs, prec, nil
}

// parseDBTime parses a timestamp as River's SQLite driver stores it, and
// returns how many digits of fractional seconds it has.
func parseDBTime(s string) (time.Time, int, error) {
	digits := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		for _, c := range s[i+1:] {
			if c < '0' || c > '9' {
				break
			}
			digits++
		}
	}
	for _, layout := range []string{
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999 -0700 MST",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999",
	} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, digits, nil
		}
	}
	return time.Time{}, 0, fmt.Errorf("unrecognised timestamp %q", s)
}

// saturated measures the queue's overhead per job of the images ids while
// every worker always had a job waiting, into tp: for each job after a
// worker's first, the gap from the worker's previous job finalized to this
// one fetched, and this job's time from fetched to finalized beyond its
// traceMillis; and the aggregate, (Σ per worker of last finalized − first
// fetched − Σ traceMillis) / jobs, and the mean traceMillis.
func saturated(jobs map[string]jobTimes, ids []string, tp *Throughput) error {
	byWorker := map[string][]jobTimes{}
	for _, id := range ids {
		j, ok := jobs[id]
		if !ok {
			return fmt.Errorf("no completed trace job for image %s", id)
		}
		byWorker[j.worker] = append(byWorker[j.worker], j)
	}
	span, traced, n := 0.0, 0.0, 0
	for _, js := range byWorker {
		slices.SortFunc(js, func(a, b jobTimes) int { return cmpFloat(a.attempted, b.attempted) })
		span += js[len(js)-1].finalized - js[0].attempted
		for i, j := range js {
			traced += j.traceMs
			n++
			if i > 0 && j.scheduled <= js[i-1].finalized {
				tp.Gap = append(tp.Gap, j.attempted-js[i-1].finalized)
				tp.Work = append(tp.Work, j.finalized-j.attempted-j.traceMs)
			}
		}
	}
	if n == 0 {
		return errors.New("no jobs in the throughput run")
	}
	tp.MeanOverhead, tp.MeanTrace = (span-traced)/float64(n), traced/float64(n)
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// percentile returns the p-th percentile of xs, interpolating between the
// two nearest ranks (so the 50th is the median); NaN for none.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	r := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(r))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (r-float64(lo))*(s[hi]-s[lo])
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// Targets judges the backend targets.
func (sb *ServeBench) Targets() []Target {
	return []Target{
		limitTarget(fmt.Sprintf("upload of picos.jpg (%s) to its 202, p50, nothing tracing (--workers 0)", fmtBytes(sb.PhotoBytes)),
			percentile(sb.UploadIdle, 50), targetUpload202Ms, "ms"),
		limitTarget(fmt.Sprintf("upload of picos.jpg to its 202, p50, %d workers tracing", sb.Workers),
			percentile(sb.UploadBusy, 50), targetUpload202Ms, "ms"),
		limitTarget(fmt.Sprintf("upload of a %s photo to traced, p50", fmtBytes(sb.SmallBytes)),
			percentile(sb.TracedSmall, 50), targetTracedSmallMs, "ms"),
		limitTarget("upload of picos.jpg to traced, p50",
			percentile(sb.TracedPhoto, 50), targetTracedPhotoMs, "ms"),
		limitTarget("the queue's own work per job, one upload at a time (fetched to finalized − traceMillis), p50",
			percentile(sb.JobWork, 50), targetQueueMs, "ms"),
		limitTarget(fmt.Sprintf("the queue's overhead per job, saturated, %d workers (previous job finalized to finalized − traceMillis), p50", sb.Workers),
			percentile(sb.mainRun().Overhead(), 50), targetQueueMs, "ms"),
	}
}

// fmtBytes formats a size in decimal kilobytes or megabytes: 98.2 KB, 1.83 MB.
func fmtBytes(n int) string {
	if n >= 1e6 {
		return fmtSig3(float64(n)/1e6) + " MB"
	}
	return fmtSig3(float64(n)/1e3) + " KB"
}

// fmtP formats the p50, p90 and range of xs in milliseconds.
func fmtP(xs []float64) (p50, p90, rng string) {
	s := summarize(xs)
	if s.N == 0 {
		return "n/a", "n/a", "n/a"
	}
	return fmtMs(percentile(xs, 50)), fmtMs(percentile(xs, 90)), fmtMs(s.Min) + "–" + fmtMs(s.Max)
}

func passWord(got, limit float64) string {
	if got <= limit {
		return "PASS"
	}
	return "MISS"
}

func (sb *ServeBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Backend: uploads and the trace queue\n\n")
	p("A real `svgtrace serve` (the binary built once with `go build`), on a fresh data directory in a temporary directory ")
	p("each time (file: SQLite database), with %d worker processes: one per logical CPU (runtime.NumCPU = %d), ", sb.Workers, sb.NumCPU)
	p("the default of `svgtrace serve`. The harness uploads over loopback with Go's HTTP client, real multipart requests ")
	p("with one `file` field and the placeholder preset (no options). Every upload is distinct bytes, so none is answered ")
	p("from the deduplication: each is the photo with a different JPEG comment segment after its start-of-image marker ")
	p("(the same pixels, the same trace). The photos: picos.jpg (%s, 3264×2448) and a %s photo made at bench time from it ", fmtBytes(sb.PhotoBytes), fmtBytes(sb.SmallBytes))
	p("(%d×%d, Catmull-Rom from golang.org/x/image/draw, image/jpeg at quality %d). ", sb.SmallW, sb.SmallH, sb.SmallQuality)
	p("Each server is stopped with SIGTERM at the end. The machine's other work shares the same CPUs, as everywhere in this report.\n\n")
	p("```\n%s\n```\n\n", sb.Cmd)

	p("### Latency\n\n")
	p("Upload → 202 is from the start of the POST to the whole 202 answer read; the request body is built before. ")
	p("Upload → traced is from the start of the POST to the image's `traced_at` (`tracedAt` in GET /api/images/{id}), ")
	p("which the worker writes, in Unix milliseconds from the same machine's clock, in the transaction that stores the trace ")
	p("(so ±1 ms); uploads go one at a time, each after the previous is traced. \"Seen\" is the same until a GET of the image, ")
	p("polled every %s, first answers it traced: what a client polling that fast sees. traceMillis is the worker's own ", fmtDur(pollEvery))
	p("time for the job's trace (reading the original, decoding, tracing, and the progress events written as stages start), ")
	p("from the image's stats. \"Workers tracing\" uploads picos.jpg %d times back to back: each upload queues a trace as long ", sb.Counts.busy)
	p("as the upload or longer, so both workers trace throughout (%d of the %d traces finished before the last upload was answered). ", sb.BusyTraced, sb.Counts.busy)
	p("The warm-up uploads (one without workers; three with, each waited for) are not counted.\n\n")
	p("| measurement | workers | uploads | p50 | p90 | min–max | target | |\n")
	p("|---|--:|--:|--:|--:|--:|--:|---|\n")
	row := func(what string, workers int, xs []float64, target float64) {
		p50, p90, rng := fmtP(xs)
		t, verdict := "", ""
		if target > 0 {
			t, verdict = fmt.Sprintf("≤ %s ms", fmtSig3(target)), passWord(percentile(xs, 50), target)
		}
		p("| %s | %d | %d | %s | %s | %s | %s | %s |\n", what, workers, len(xs), p50, p90, rng, t, verdict)
	}
	row("picos.jpg upload → 202, nothing tracing", 0, sb.UploadIdle, targetUpload202Ms)
	row("picos.jpg upload → 202, workers tracing", sb.Workers, sb.UploadBusy, targetUpload202Ms)
	row(fmtBytes(sb.SmallBytes)+" upload → 202", sb.Workers, sb.UploadSmall, 0)
	row(fmtBytes(sb.SmallBytes)+" upload → traced", sb.Workers, sb.TracedSmall, targetTracedSmallMs)
	row(fmtBytes(sb.SmallBytes)+" upload → seen traced", sb.Workers, sb.SeenSmall, 0)
	row(fmtBytes(sb.SmallBytes)+" traceMillis", sb.Workers, sb.TraceSmall, 0)
	row("picos.jpg upload → traced", sb.Workers, sb.TracedPhoto, targetTracedPhotoMs)
	row("picos.jpg upload → seen traced", sb.Workers, sb.SeenPhoto, 0)
	row("picos.jpg traceMillis", sb.Workers, sb.TracePhoto, 0)

	p("\n### Throughput\n\n")
	p("Clients upload distinct %s photos between them, each client its next as soon as its last is answered, to a server with ", fmtBytes(sb.SmallBytes))
	p("one worker and to one with %d; uploads/s is the uploads over the time from the first POST's start to the last 202, ", sb.Workers)
	p("traces/s the uploads over the time from the first POST's start to the last `traced_at`.\n\n")
	p("| clients | uploads | workers | CPUs | uploads/s | traces/s | upload → 202 p50 | p90 | all answered | all traced |\n")
	p("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, tp := range sb.Runs {
		up50, up90, _ := fmtP(tp.Upload)
		p("| %d | %d | %d | %d | %.0f | %.1f | %s | %s | %.2f s | %.2f s |\n", tp.Clients, tp.Total, tp.Workers, sb.NumCPU,
			float64(tp.Total)/tp.UploadSecs, float64(tp.Total)/tp.TracedSecs, up50, up90, tp.UploadSecs, tp.TracedSecs)
	}

	p("\n### The queue's overhead per job\n\n")
	p("From River's own timestamps of each job (river_job, stored with %s precision) and the image's traceMillis, read from the ", sb.TimestampPrecision)
	p("database after the server stopped. A job becomes available when the upload's transaction commits (`scheduled_at`); ")
	p("a worker fetches it (`attempted_at`) at its next poll: River has no LISTEN/NOTIFY on SQLite, so an idle worker polls ")
	p("every queue.FetchPollInterval (%s, plus up to 10 %% jitter); with %d workers polling independently, an upload arriving at a random moment ",
		fmtDur(queue.FetchPollInterval), sb.Workers)
	p("waits about %s for the first of them on average: queueing delay by design, not work. ", fmtMs(float64(queue.FetchPollInterval.Milliseconds())/float64(sb.Workers+1)))
	p("The worker then reads the image row, claims the attempt, traces (traceMillis) and, in one transaction, stores the trace, ")
	p("its events and the job's completion (`finalized_at`, set before that transaction's commit). \"Own work\" is fetched to ")
	p("finalized minus traceMillis, one upload at a time (the uploads of the latency runs above).\n\n")
	p("With a saturated queue (the throughput runs) the poll wait vanishes: River fetches a worker's next job as soon as the ")
	p("previous one returns (at most queue.FetchCooldown, %s, after its last fetch). For each job that was waiting when its worker ", fmtDur(queue.FetchCooldown))
	p("finished the previous one, \"gap\" is the previous job's `finalized_at` to this one's `attempted_at` (the previous ")
	p("transaction's commit, River's completion, the fetch) and \"work\" as above; \"per job\" is their sum, the target's figure. ")
	p("\"Whole run\" is the workers' busy time (first fetch to last finalized, per worker) minus all traceMillis, over the jobs. ")
	p("Every figure is wall time: with %d workers on %d CPUs the workers, the server and anything else on the machine share the ", sb.Workers, sb.NumCPU)
	p("CPUs and SQLite's single write lock, which the one-worker run shows the cost of. traceMillis itself includes writing the ")
	p("progress events (one autocommit insert per stage), which are queue work too.\n\n")
	p("| measure | workers | jobs | p50 | p90 | mean | target | |\n")
	p("|---|--:|--:|--:|--:|--:|--:|---|\n")
	qrow := func(what string, workers int, xs []float64, target float64) {
		p50, p90, _ := fmtP(xs)
		t, verdict := "", ""
		if target > 0 {
			t, verdict = fmt.Sprintf("≤ %s ms", fmtSig3(target)), passWord(percentile(xs, 50), target)
		}
		p("| %s | %d | %d | %s | %s | %s | %s | %s |\n", what, workers, len(xs), p50, p90, fmtMs(mean(xs)), t, verdict)
	}
	latency := make([]float64, len(sb.FetchWait))
	for i := range latency {
		latency[i] = sb.FetchWait[i] + sb.JobWork[i]
	}
	qrow("one at a time: poll wait (available → fetched)", sb.Workers, sb.FetchWait, 0)
	qrow("one at a time: own work (fetched → finalized − traceMillis)", sb.Workers, sb.JobWork, targetQueueMs)
	qrow("one at a time: latency overhead (available → finalized − traceMillis)", sb.Workers, latency, 0)
	for _, tp := range sb.Runs {
		target := 0.0
		if tp.Workers == sb.Workers {
			target = targetQueueMs
		}
		qrow("saturated: gap (previous finalized → fetched)", tp.Workers, tp.Gap, 0)
		qrow("saturated: work (fetched → finalized − traceMillis)", tp.Workers, tp.Work, 0)
		qrow("saturated: per job (gap + work)", tp.Workers, tp.Overhead(), target)
		p("| saturated: whole run (mean traceMillis %s) | %d | %d | | | %s | | |\n",
			fmtMs(tp.MeanTrace), tp.Workers, tp.Total, fmtMs(tp.MeanOverhead))
	}
	p("\n")
}
