package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetach(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx, stop := Detach(parent)
	defer stop()
	cancel()
	require.NoError(t, ctx.Err(), "a begun transaction outlives its caller's context")
	assert.Equal(t, "v", ctx.Value(key{}))
	deadline, ok := ctx.Deadline()
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(TxTimeout), deadline, time.Second)
}

func TestInTxHonoursCancelledContext(t *testing.T) {
	db := migrated(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, db.DeleteImage(ctx, "x"), context.Canceled, "a transaction not yet begun still honours its context")
}
