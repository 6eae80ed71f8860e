package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrWorkerLost is returned by Heartbeat when the worker's row is gone: a
// sweeper found its heartbeat older than the lease (the process was stopped
// or too slow) and handed its running jobs to others. The worker must stop
// working: its results are fenced off already.
var ErrWorkerLost = errors.New("store: worker lease lost")

// dbNowMillis is the database's clock in Unix milliseconds. Leases are
// stamped and judged by it, never by a process's own clock, so workers on
// machines whose clocks disagree still agree on who is alive.
const dbNowMillis = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`

// Worker is one row of workers: a live `svgtrace worker` process.
type Worker struct {
	ID          string // the worker's River client ID
	Host        string
	PID         int
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// RegisterWorker records a worker process as live, with a fresh heartbeat.
// Registering an ID again renews it.
func (db *DB) RegisterWorker(ctx context.Context, id, host string, pid int) error {
	_, err := db.ExecContext(ctx, `INSERT INTO workers (id, host, pid, started_at, heartbeat_at)
		VALUES (?, ?, ?, `+dbNowMillis+`, `+dbNowMillis+`)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
			started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
		id, host, pid)
	if err != nil {
		return fmt.Errorf("store: register worker %s: %w", id, err)
	}
	return nil
}

// Heartbeat renews the worker's lease. It returns ErrWorkerLost if the row
// is gone (see ErrWorkerLost); it never re-creates it.
func (db *DB) Heartbeat(ctx context.Context, id string) error {
	res, err := db.ExecContext(ctx, `UPDATE workers SET heartbeat_at = `+dbNowMillis+` WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: heartbeat of worker %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: heartbeat of worker %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("%w: worker %s", ErrWorkerLost, id)
	}
	return nil
}

// RemoveWorker deletes the worker's row: it has stopped (a clean exit) or is
// known dead (its supervisor saw it exit). Its running jobs, if any, are lost
// from then on and the next sweep replaces them. Removing an absent worker is
// not an error.
func (db *DB) RemoveWorker(ctx context.Context, id string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM workers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: remove worker %s: %w", id, err)
	}
	return nil
}

// LiveWorkers returns the workers whose last heartbeat is within lease of
// now (the database's clock), oldest first.
func (db *DB) LiveWorkers(ctx context.Context, lease time.Duration) ([]Worker, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, host, pid, started_at, heartbeat_at FROM workers
		WHERE heartbeat_at >= `+dbNowMillis+` - ? ORDER BY started_at, id`, lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("store: live workers: %w", err)
	}
	defer rows.Close()
	var ws []Worker
	for rows.Next() {
		var (
			w                  Worker
			started, heartbeat int64
		)
		if err := rows.Scan(&w.ID, &w.Host, &w.PID, &started, &heartbeat); err != nil {
			return nil, fmt.Errorf("store: live workers: %w", err)
		}
		w.StartedAt, w.HeartbeatAt = fromMillis(started), fromMillis(heartbeat)
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live workers: %w", err)
	}
	return ws, nil
}

// ExpireWorkersTx deletes, through tx, the workers whose last heartbeat is
// older than lease by the database's clock, and returns how many it deleted.
// Their running jobs are lost from then on (see backend/queue's Sweep).
func ExpireWorkersTx(ctx context.Context, tx *sql.Tx, lease time.Duration) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM workers WHERE heartbeat_at < `+dbNowMillis+` - ?`, lease.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("store: expire workers: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: expire workers: %w", err)
	}
	return n, nil
}
