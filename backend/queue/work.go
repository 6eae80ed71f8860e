package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Event types the worker appends (store appends traced and failed itself).
const (
	// EventProgress marks a stage of a trace starting: payload
	// {"stage": tracecore's stage name or "stored", "attempt": n}.
	EventProgress = "progress"
	// StageStored is the last progress stage: the result is committed.
	StageStored = "stored"
)

// Stats are what a traced image stores beside its SVG: tracecore's report
// without the SVG and data URI themselves (same JSON names), and the wall
// time of reading, decoding and tracing.
type Stats struct {
	Width        int                         `json:"width"`
	Height       int                         `json:"height"`
	TraceWidth   int                         `json:"traceWidth"`
	TraceHeight  int                         `json:"traceHeight"`
	Paths        int                         `json:"paths"`
	Segments     int                         `json:"segments"`
	SVGBytes     int                         `json:"svgBytes"`
	DataURIBytes int                         `json:"dataURIBytes"`
	GzipBytes    int                         `json:"gzipBytes"`
	Threshold    tracecore.Threshold         `json:"threshold"`
	Color        string                      `json:"color"`
	Timings      map[tracecore.Stage]float64 `json:"timings"` // milliseconds per stage
	TraceMillis  float64                     `json:"traceMillis"`
}

func statsOf(r tracecore.Report, d time.Duration) Stats {
	return Stats{
		Width: r.Width, Height: r.Height, TraceWidth: r.TraceWidth, TraceHeight: r.TraceHeight,
		Paths: r.Paths, Segments: r.Segments,
		SVGBytes: r.SVGBytes, DataURIBytes: r.DataURIBytes, GzipBytes: r.GzipBytes,
		Threshold: r.Threshold, Color: r.Color, Timings: r.Timings,
		TraceMillis: float64(d.Microseconds()) / 1000,
	}
}

// TraceWorker works trace jobs: it reads the image row and its original,
// traces with the image's options and stores the result (see the package
// documentation for the guarantees).
type TraceWorker struct {
	river.WorkerDefaults[TraceArgs]
	DB        *store.DB
	Originals Originals
	Logger    *slog.Logger

	tracers sync.Pool // *tracecore.Tracer: reused scratch per concurrent job
}

// Timeout is JobTimeout.
func (w *TraceWorker) Timeout(*river.Job[TraceArgs]) time.Duration { return JobTimeout }

// Work traces one image.
func (w *TraceWorker) Work(ctx context.Context, job *river.Job[TraceArgs]) error {
	id := job.Args.ImageID
	img, err := w.DB.GetImage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted while queued: nothing to do
	}
	if err != nil {
		return err
	}
	if img.Status == store.StatusTraced {
		// Traced already: a browser's result arrived before this job's
		// deadline, or a replacement job found its predecessor's result.
		return nil
	}
	attempt, err := w.DB.ClaimAttempt(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}

	start := time.Now()
	res, err := w.trace(ctx, img, attempt)
	if err != nil {
		return w.failed(ctx, job, attempt, err)
	}
	rep := res.Report()
	stats := statsOf(rep, time.Since(start))

	err = w.complete(ctx, job, attempt, rep.SVG, stats)
	if errors.Is(err, store.ErrStaleAttempt) || errors.Is(err, store.ErrNotFound) {
		// Another attempt owns the image now (or it was deleted): this run
		// writes nothing. Cancelling touches the job row only if it is
		// still this run's (running); a swept row is cancelled already.
		w.logger().Warn("trace result discarded", "image", id, "attempt", attempt, "job", job.ID, "reason", err)
		return river.JobCancel(err)
	}
	return err
}

// trace reads the original and traces it, appending a progress event as each
// stage starts.
func (w *TraceWorker) trace(ctx context.Context, img store.Image, attempt int64) (*tracecore.Result, error) {
	opts := tracecore.DefaultOptions()
	if err := json.Unmarshal([]byte(img.OptionsKey), &opts); err != nil {
		return nil, fmt.Errorf("%w: stored options: %v", tracecore.ErrInvalidOptions, err)
	}
	rc, err := w.Originals.Open(ctx, img.ContentHash)
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	t, _ := w.tracers.Get().(*tracecore.Tracer)
	if t == nil {
		t = &tracecore.Tracer{}
	}
	defer w.tracers.Put(t)
	var last tracecore.Stage
	t.OnProgress = func(stage tracecore.Stage, _ float64) {
		if stage == last {
			return
		}
		last = stage
		w.progress(ctx, img.ID, attempt, string(stage))
	}
	defer func() { t.OnProgress = nil }()
	return imageio.Trace(ctx, t, rc, opts)
}

// progress appends a progress event. A failure only loses the event, never
// the trace, so it is logged, not returned.
func (w *TraceWorker) progress(ctx context.Context, imageID string, attempt int64, stage string) {
	payload := map[string]any{"stage": stage, "attempt": attempt}
	if _, err := store.AppendEvent(ctx, w.DB, imageID, EventProgress, payload); err != nil {
		w.logger().Warn("progress event lost", "image", imageID, "stage", stage, "err", err)
	}
}

// complete writes the result, the stored progress event, the traced event
// and the job's completion in one transaction, fenced on attempt.
// Once the trace is done, storing it is not cancelled (see store.Detach).
func (w *TraceWorker) complete(ctx context.Context, job *river.Job[TraceArgs], attempt int64, svg string, stats Stats) error {
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	defer tx.Rollback() // after Commit, a no-op
	id := job.Args.ImageID
	if _, err := store.AppendEvent(ctx, tx, id, EventProgress, map[string]any{"stage": StageStored, "attempt": attempt}); err != nil {
		return err
	}
	if err := store.SaveTraceTx(ctx, tx, id, attempt, svg, stats); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

// failed decides what a trace error means for the image and the job: a
// permanent error, or the last attempt's error, fails the image (fenced) and
// ends the job; any other error is returned for River to retry.
func (w *TraceWorker) failed(ctx context.Context, job *river.Job[TraceArgs], attempt int64, err error) error {
	permanent := Permanent(err)
	if !permanent && job.Attempt < job.MaxAttempts {
		w.logger().Warn("trace failed, will retry", "image", job.Args.ImageID, "attempt", job.Attempt, "err", err)
		return err
	}
	// Recording the failure is a transaction: not cancelled (see store.Detach).
	fctx, cancel := store.Detach(ctx)
	defer cancel()
	if ferr := w.DB.FailTrace(fctx, job.Args.ImageID, attempt, err.Error()); ferr != nil &&
		!errors.Is(ferr, store.ErrStaleAttempt) && !errors.Is(ferr, store.ErrNotFound) {
		// The failure could not be recorded: let River retry the whole job.
		return fmt.Errorf("record failure %q: %w", err, ferr)
	}
	w.logger().Warn("trace failed", "image", job.Args.ImageID, "permanent", permanent, "err", err)
	if permanent {
		return river.JobCancel(err)
	}
	return err // the last attempt: River discards the job
}

// Permanent reports whether a trace error is one that retrying cannot fix:
// the image is corrupt, unsupported or too large, the options are invalid,
// or the original is missing.
func Permanent(err error) bool {
	for _, target := range []error{
		tracecore.ErrCorrupt, tracecore.ErrUnsupported, tracecore.ErrTooLarge,
		tracecore.ErrInvalidOptions, tracecore.ErrInvalidInput,
		originals.ErrNotFound, originals.ErrBadHash,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func (w *TraceWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
