package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkers(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.migrated(t)

		require.NoError(t, db.RegisterWorker(ctx, "w1", "host-a", 101))
		require.NoError(t, db.RegisterWorker(ctx, "w2", "host-b", 202))
		live, err := db.LiveWorkers(ctx, time.Minute)
		require.NoError(t, err)
		require.Len(t, live, 2)
		assert.Equal(t, "host-a", live[0].Host)
		assert.Equal(t, 101, live[0].PID)
		assert.WithinDuration(t, time.Now(), live[0].HeartbeatAt, 5*time.Second, "stamped by the database's clock")

		// Age w1's heartbeat by a minute: it is no longer live and expires.
		_, err = db.ExecContext(ctx, `UPDATE workers SET heartbeat_at = heartbeat_at - 60000 WHERE id = 'w1'`)
		require.NoError(t, err)
		live, err = db.LiveWorkers(ctx, 10*time.Second)
		require.NoError(t, err)
		require.Len(t, live, 1)
		assert.Equal(t, "w2", live[0].ID)

		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		n, err := ExpireWorkersTx(ctx, tx, 10*time.Second)
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
		assert.EqualValues(t, 1, n)

		// The expired worker's heartbeat finds its lease gone; it is never
		// re-created by a heartbeat.
		require.ErrorIs(t, db.Heartbeat(ctx, "w1"), ErrWorkerLost)
		require.NoError(t, db.Heartbeat(ctx, "w2"))
		live, err = db.LiveWorkers(ctx, time.Minute)
		require.NoError(t, err)
		require.Len(t, live, 1)

		// Registering again renews; removing is idempotent.
		require.NoError(t, db.RegisterWorker(ctx, "w2", "host-c", 303))
		live, err = db.LiveWorkers(ctx, time.Minute)
		require.NoError(t, err)
		require.Len(t, live, 1)
		assert.Equal(t, "host-c", live[0].Host)
		require.NoError(t, db.RemoveWorker(ctx, "w2"))
		require.NoError(t, db.RemoveWorker(ctx, "w2"))
		require.ErrorIs(t, db.Heartbeat(ctx, "w2"), ErrWorkerLost)
	})
}
