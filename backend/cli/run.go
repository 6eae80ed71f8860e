package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// An inputError is the failure of one input, reported by its name:
// "photos/a.jpg: imageio: png: unexpected EOF".
type inputError struct {
	Name string
	Err  error
}

func (e *inputError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *inputError) Unwrap() error { return e.Err }

// An outcome is how one job ended.
type outcome struct {
	job      *job
	err      error // an *inputError, or nil
	bytesIn  int64
	bytesOut int
	elapsed  time.Duration
}

// progressTick is how often a progress bar is redrawn while nothing
// finishes, so its elapsed time keeps moving during a long trace.
const progressTick = 250 * time.Millisecond

func (e *env) runTrace(args []string) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" {
			fmt.Fprint(e.stdout, traceUsageFull)
			return exitOK
		}
	}
	c, err := parseTraceArgs(args)
	var jobs []job
	var batch bool
	if err == nil {
		jobs, batch, err = planJobs(c)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace trace: %v\nRun 'svgtrace help trace' for usage.\n", err)
		return exitUsage
	}
	workers := c.jobs
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(min(workers, len(jobs)), 1)
	rep := newReporter(e.stderr, len(jobs), workers)
	switch {
	case c.quiet:
	case batch && e.isTerminal(e.stderr):
		rep.bar = true
	case len(jobs) == 1 && jobs[0].out == "":
		// One input to standard output: silent on success, as potrace.
	default:
		rep.lines = true
	}
	rep.summary = batch && !c.quiet

	e.traceAll(c, jobs, workers, rep)
	rep.finish()
	if rep.failed > 0 {
		return exitFail
	}
	return exitOK
}

// traceAll traces the jobs on workers goroutines, each with its own Tracer
// (a Tracer's buffers serve one trace at a time), and reports each as it
// finishes. Only this goroutine writes to the reporter, so its lines never
// interleave. Every goroutine started here has returned when it returns.
func (e *env) traceAll(c *traceConfig, jobs []job, workers int, rep *reporter) {
	work := make(chan *job)
	results := make(chan outcome, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var tracer tracecore.Tracer
			for j := range work {
				results <- e.traceJob(&tracer, c, j)
			}
		})
	}
	go func() {
		for i := range jobs {
			work <- &jobs[i]
		}
		close(work)
		wg.Wait()
		close(results)
	}()

	var tick <-chan time.Time
	if rep.bar {
		t := time.NewTicker(progressTick)
		defer t.Stop()
		tick = t.C
		rep.draw()
	}
	for {
		select {
		case o, ok := <-results:
			if !ok {
				return
			}
			rep.done(o)
		case <-tick:
			rep.draw()
		}
	}
}

// traceJob traces one input and writes its output. A failed input writes
// nothing: files are written whole or not at all (writeFileAtomic), and
// standard output only once the trace is complete.
func (e *env) traceJob(tracer *tracecore.Tracer, c *traceConfig, j *job) (d outcome) {
	start := time.Now()
	d.job = j
	defer func() {
		d.elapsed = time.Since(start)
		if d.err != nil {
			d.err = &inputError{j.name, d.err}
		}
	}()
	if j.err != nil {
		d.err = j.err
		return d
	}
	var r io.Reader
	if j.in == "-" {
		cr := &countingReader{r: e.stdin}
		defer func() { d.bytesIn = cr.n }()
		r = cr
	} else {
		f, err := os.Open(j.in)
		if err != nil {
			d.err = err
			return d
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			d.bytesIn = fi.Size()
		}
		r = f
	}
	res, err := imageio.Trace(context.Background(), tracer, r, c.opts)
	if err != nil {
		d.err = err
		return d
	}
	out, err := render(res, c.format)
	if err != nil {
		d.err = err
		return d
	}
	d.bytesOut = len(out)
	if j.out == "" {
		if _, err := e.stdout.Write(out); err != nil {
			d.err = fmt.Errorf("write standard output: %w", err)
		}
		return d
	}
	if dir := filepath.Dir(j.out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			d.err = fmt.Errorf("write %s: %w", j.out, err)
			return d
		}
	}
	d.err = writeFileAtomic(j.out, out)
	return d
}

// countingReader counts the bytes read through it: the size of standard
// input, which cannot be asked for.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees a half-written output and a failure
// leaves nothing behind. The temporary file's name starts with ".", so a
// folder walk never takes it for an input. A path that exists and is not a
// regular file (a device such as /dev/null, a named pipe) is written in
// place: renaming over it would replace the device with a file.
func writeFileAtomic(path string, data []byte) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("write %s: %w", path, errIsFolder)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var errIsFolder = errors.New("is a folder")
