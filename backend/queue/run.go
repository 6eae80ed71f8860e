package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/svgtrace/svgtrace/backend/store"
)

// ErrLeaseLost is returned by RunWorker when the worker's lease was taken
// away (it was stopped or stalled past Lease and swept): its jobs run
// elsewhere now, so it stops; a supervisor starts a fresh one.
var ErrLeaseLost = errors.New("queue: worker lease lost")

// StopGrace is how long a stopping worker lets running traces finish before
// cancelling them; a cancelled trace's job is retried.
const StopGrace = 10 * time.Second

// WorkerConfig configures RunWorker.
type WorkerConfig struct {
	DB        *store.DB
	Originals Originals
	// ID names the worker: its row in workers and its River client ID. It
	// must be unique among live workers; NewWorkerID makes one.
	ID string
	// Concurrency is how many traces the worker runs at once (at least 1).
	Concurrency int
	Logger      *slog.Logger
}

// NewWorkerID returns a worker ID: host, process ID and a random suffix, so
// a restarted process on the same host never reuses a dead one's ID.
func NewWorkerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), store.NewImageID()[:8])
}

// RunWorker registers the worker, works trace jobs until ctx is done, then
// stops (letting running traces finish for up to StopGrace) and removes its
// registration. Every HeartbeatInterval it renews its lease and sweeps for
// lost jobs. It returns nil after ctx is done, ErrLeaseLost if its lease was
// taken away, or the error that stopped it.
func RunWorker(ctx context.Context, cfg WorkerConfig) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.ID == "" {
		cfg.ID = NewWorkerID()
	}
	host, _ := os.Hostname()
	if err := cfg.DB.RegisterWorker(ctx, cfg.ID, host, os.Getpid()); err != nil {
		return err
	}
	// Removing the row on the way out makes the sweep replace any job still
	// running at once rather than after Lease. A fresh context: ctx is done.
	defer cfg.DB.RemoveWorker(context.Background(), cfg.ID)

	workers := river.NewWorkers()
	river.AddWorker(workers, &TraceWorker{DB: cfg.DB, Originals: cfg.Originals, Logger: log})
	client, err := river.NewClient(riversqlite.New(cfg.DB.DB), &river.Config{
		ID:                   cfg.ID,
		Queues:               map[string]river.QueueConfig{QueueName: {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
		FetchPollInterval:    FetchPollInterval,
		FetchCooldown:        FetchCooldown,
		Logger:               quiet(log),
	})
	if err != nil {
		return fmt.Errorf("queue: new worker client: %w", err)
	}
	// The client runs on its own context so that stopping is ours to pace.
	if err := client.Start(context.Background()); err != nil {
		return fmt.Errorf("queue: start worker: %w", err)
	}
	log.Info("worker started", "id", cfg.ID, "concurrency", cfg.Concurrency)

	runErr := beat(ctx, cfg.DB, client, cfg.ID, log)

	stopCtx, cancel := context.WithTimeout(context.Background(), StopGrace)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		// The grace ran out: cancel the traces still running.
		hard, cancelHard := context.WithTimeout(context.Background(), StopGrace)
		defer cancelHard()
		client.StopAndCancel(hard)
	}
	log.Info("worker stopped", "id", cfg.ID)
	return runErr
}

// beat renews the lease and sweeps every HeartbeatInterval until ctx is done
// (nil) or the lease is lost (ErrLeaseLost). Other errors are logged and
// retried at the next beat: a busy database must not stop the worker.
func beat(ctx context.Context, db *store.DB, client *Client, id string, log *slog.Logger) error {
	tick := time.NewTicker(HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := db.Heartbeat(ctx, id); errors.Is(err, store.ErrWorkerLost) {
			log.Error("worker lease lost: stopping", "id", id)
			return ErrLeaseLost
		} else if err != nil && ctx.Err() == nil {
			log.Warn("heartbeat failed", "id", id, "err", err)
		}
		if n, err := Sweep(ctx, db, client, Lease); err != nil && ctx.Err() == nil {
			log.Warn("sweep failed", "err", err)
		} else if n > 0 {
			log.Warn("lost jobs replaced", "count", n)
		}
	}
}
