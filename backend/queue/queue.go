package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/svgtrace/svgtrace/backend/store"
)

// QueueName is the River queue trace jobs go to.
const QueueName = "trace"

// Tuning. Each value is a trade-off named in its comment; the system tests in
// tests/ exercise them with real processes.
const (
	// MaxAttempts bounds how often a job is retried after transient errors
	// (River's backoff is attempt⁴ seconds: 1, 16, 81, 256 s), about six
	// minutes in all, long enough to ride out a database or server restart.
	MaxAttempts = 5

	// JobTimeout cancels a trace that runs this long. The placeholder preset
	// on the largest allowed image (100 MP) traces in well under 10 s on one
	// core; options without a MaxSide trace at full size and take longer.
	// A timeout counts as a transient error.
	JobTimeout = 2 * time.Minute

	// HeartbeatInterval is how often a worker renews its lease.
	HeartbeatInterval = 2 * time.Second

	// Lease is how old a worker's heartbeat may be before its jobs count as
	// lost: five missed heartbeats, so a busy machine or a slow commit
	// (busy_timeout is 10 s, but real waits are milliseconds) is not mistaken
	// for death, while a killed worker's job is running elsewhere within
	// Lease+SweepInterval (~12 s), far inside the 90 s the product promises.
	Lease = 10 * time.Second

	// SweepInterval is how often each worker (and the server) looks for lost
	// jobs. A sweep is one indexed query when nothing is lost.
	SweepInterval = 2 * time.Second

	// MaxLost is how many times an image's job may be lost before the image
	// fails: a trace that kills its process each time must not kill workers
	// forever.
	MaxLost = 3

	// RescueStuckJobsAfter is River's own rescue, a backstop for the case
	// where no worker or server sweeps at all. It must stay well above
	// JobTimeout so River never rescues a job that is merely slow.
	RescueStuckJobsAfter = 3 * JobTimeout

	// FetchPollInterval is how often an idle worker polls for jobs: River
	// has no LISTEN/NOTIFY on SQLite, so an upload from the server reaches a
	// worker by polling. 50 ms keeps upload-to-trace latency low for a
	// query that costs microseconds on an empty queue.
	FetchPollInterval = 50 * time.Millisecond

	// FetchCooldown is the least time between two fetches by one worker,
	// River's guard against fetching in a tight loop. A worker fetches when
	// a job finishes (or at FetchPollInterval when idle), so fetches never
	// outnumber jobs; the cooldown only holds back a worker whose job took
	// less than it. Placeholder traces take 4–8 ms, so 10 ms left a
	// saturated worker idle 4–5 ms a job (make bench: 5.24 ms overhead per
	// job, 139 traces/s with 2 workers); 2 ms gives 1.59 ms and 164/s.
	FetchCooldown = 2 * time.Millisecond
)

// TraceArgs are a trace job's arguments: the image to trace (its options and
// original are on the image row) and, for a replacement job, how many times
// its predecessors were lost.
type TraceArgs struct {
	ImageID string `json:"image_id"`
	Lost    int    `json:"lost,omitempty"`
}

// Kind is the River job kind.
func (TraceArgs) Kind() string { return "trace" }

// InsertOpts puts trace jobs on their queue with their attempt limit.
func (TraceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: MaxAttempts}
}

// Client is a River client on the store's database.
type Client = river.Client[*sql.Tx]

// NewInsertClient returns a River client that inserts jobs but works none:
// the server's. It needs no Start.
func NewInsertClient(db *store.DB, logger *slog.Logger) (*Client, error) {
	c, err := river.NewClient(riversqlite.New(db.DB), &river.Config{Logger: quiet(logger)})
	if err != nil {
		return nil, fmt.Errorf("queue: new client: %w", err)
	}
	return c, nil
}

// Enqueue inserts the trace job for imageID through tx, the transaction that
// inserted the image, to run at runAt (the zero time: now). A later runAt is
// how a browser gets a deadline to trace first: its result, arriving before
// then, completes the image and the job then finds nothing to do.
func Enqueue(ctx context.Context, c *Client, tx *sql.Tx, imageID string, runAt time.Time) (int64, error) {
	var opts *river.InsertOpts
	if !runAt.IsZero() {
		opts = &river.InsertOpts{Queue: QueueName, MaxAttempts: MaxAttempts, ScheduledAt: runAt}
	}
	res, err := c.InsertTx(ctx, tx, TraceArgs{ImageID: imageID}, opts)
	if err != nil {
		return 0, fmt.Errorf("queue: enqueue trace of image %s: %w", imageID, err)
	}
	return res.Job.ID, nil
}

// quiet returns logger with River's info-level chatter (every client start
// and stop, leadership changes) dropped, keeping its warnings and errors.
func quiet(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		logger = slog.Default()
	}
	return slog.New(minLevel{logger.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}
func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }
