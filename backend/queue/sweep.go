package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/svgtrace/svgtrace/backend/store"
)

// RiverTime formats t as River's SQLite driver stores times. SQLite compares
// times as text, so any other layout (RFC 3339 included) would compare wrong.
func RiverTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}

// lostJob is a running trace job whose worker is gone.
type lostJob struct {
	id      int64
	attempt int
	args    TraceArgs
	worker  string
}

// Sweep finds running trace jobs whose worker has no heartbeat within lease
// (or no row: it stopped or its supervisor saw it die), and for each, in one
// transaction: cancels the job row, advances the image's attempt so the lost
// run can never write its result, and inserts a replacement job through c,
// or, once an image's jobs were lost MaxLost times, fails the image. It
// returns how many jobs it found lost.
//
// Any process with a client may sweep, as often as it likes: the transaction
// holds the write lock, so two sweeps never both replace a job.
//
// ctx is checked before the sweep begins; once begun, the sweep runs to its
// end (see store.Detach).
func Sweep(ctx context.Context, db *store.DB, c *Client, lease time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("queue: sweep: %w", err)
	}
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("queue: sweep: %w", err)
	}
	defer tx.Rollback()
	now := time.Now()
	// The first statement writes, so the transaction holds the write lock
	// from here on, also over a remote database where BEGIN is deferred.
	if _, err := store.ExpireWorkersTx(ctx, tx, lease); err != nil {
		return 0, fmt.Errorf("queue: sweep: %w", err)
	}
	// attempted_by is River's JSON array of the client IDs that claimed the
	// job; the last is the current run's worker.
	rows, err := tx.QueryContext(ctx, `SELECT id, attempt, json(args), coalesce(json_extract(attempted_by, '$[#-1]'), '')
		FROM river_job
		WHERE state = 'running' AND kind = ?
		  AND coalesce(json_extract(attempted_by, '$[#-1]'), '') NOT IN (SELECT id FROM workers)`,
		TraceArgs{}.Kind())
	if err != nil {
		return 0, fmt.Errorf("queue: sweep: find lost jobs: %w", err)
	}
	var lost []lostJob
	for rows.Next() {
		var (
			j    lostJob
			args string
		)
		if err := rows.Scan(&j.id, &j.attempt, &args, &j.worker); err != nil {
			rows.Close()
			return 0, fmt.Errorf("queue: sweep: %w", err)
		}
		if err := json.Unmarshal([]byte(args), &j.args); err != nil {
			rows.Close()
			return 0, fmt.Errorf("queue: sweep: job %d args: %w", j.id, err)
		}
		lost = append(lost, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("queue: sweep: %w", err)
	}
	for _, j := range lost {
		if err := replace(ctx, tx, c, j, now); err != nil {
			return 0, fmt.Errorf("queue: sweep: job %d: %w", j.id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("queue: sweep: %w", err)
	}
	return len(lost), nil
}

// replace cancels one lost job and queues its replacement (or fails the
// image), inside the sweep's transaction.
func replace(ctx context.Context, tx *sql.Tx, c *Client, j lostJob, now time.Time) error {
	reason := fmt.Sprintf("worker %q lost (no heartbeat for %s) while running this job", j.worker, Lease)
	// The same shape as River's own attempt errors, so River UI shows it.
	entry, _ := json.Marshal(map[string]any{"at": now.UTC(), "attempt": j.attempt, "error": reason, "trace": ""})
	if _, err := tx.ExecContext(ctx, `UPDATE river_job
		SET state = 'cancelled', finalized_at = ?,
		    errors = jsonb_insert(coalesce(errors, jsonb('[]')), '$[#]', json(?))
		WHERE id = ? AND state = 'running'`, RiverTime(now), string(entry), j.id); err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	// Fence the lost run off now, whether or not it ever resumes.
	var (
		attempt int64
		status  string
	)
	err := tx.QueryRowContext(ctx, `UPDATE images SET attempt = attempt + 1, updated_at = ?
		WHERE id = ? RETURNING attempt, status`, now.UnixMilli(), j.args.ImageID).Scan(&attempt, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the image was deleted: nothing to replace
	}
	if err != nil {
		return fmt.Errorf("fence image %s: %w", j.args.ImageID, err)
	}
	if status == store.StatusTraced {
		return nil // its result is stored already
	}
	lostCount := j.args.Lost + 1
	if lostCount >= MaxLost {
		return store.FailTraceTx(ctx, tx, j.args.ImageID, attempt,
			fmt.Sprintf("its trace was lost %d times (the worker died or stopped each time)", lostCount))
	}
	if _, err := c.InsertTx(ctx, tx, TraceArgs{ImageID: j.args.ImageID, Lost: lostCount}, nil); err != nil {
		return fmt.Errorf("insert replacement: %w", err)
	}
	return nil
}
