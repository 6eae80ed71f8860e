package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveTraceStoresStats(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.migrated(t)
		img, _, err := db.InsertImage(ctx, nil, newImage("stats"))
		require.NoError(t, err)
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		stats := map[string]any{"paths": 4, "svgBytes": 2352}
		require.NoError(t, db.SaveTrace(ctx, img.ID, a, "<svg/>", stats))

		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.JSONEq(t, `{"paths":4,"svgBytes":2352}`, got.Stats)
		// The traced event carries the same stats.
		evs, err := db.EventsAfter(ctx, 0, 10)
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		last := evs[len(evs)-1]
		assert.Equal(t, EventTraced, last.Type)
		assert.JSONEq(t, got.Stats, string(last.Payload))

		// Without stats the column stays empty and the event is {}.
		img2, _, err := db.InsertImage(ctx, nil, newImage("nostats"))
		require.NoError(t, err)
		a2, err := db.ClaimAttempt(ctx, img2.ID)
		require.NoError(t, err)
		require.NoError(t, db.SaveTrace(ctx, img2.ID, a2, "<svg/>", nil))
		got2, err := db.GetImage(ctx, img2.ID)
		require.NoError(t, err)
		assert.Empty(t, got2.Stats)

		// Stats that cannot be marshalled are an error, and nothing is written.
		img3, _, err := db.InsertImage(ctx, nil, newImage("badstats"))
		require.NoError(t, err)
		a3, err := db.ClaimAttempt(ctx, img3.ID)
		require.NoError(t, err)
		require.Error(t, db.SaveTrace(ctx, img3.ID, a3, "<svg/>", map[string]any{"f": func() {}}))
		got3, err := db.GetImage(ctx, img3.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusQueued, got3.Status)
	})
}

func TestDeleteImageTxCountsSharedOriginal(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.migrated(t)
		one := newImage("shared")
		two := newImage("shared")
		two.OptionsKey = `{"preset":"other"}` // same bytes, other options: two images
		a, _, err := db.InsertImage(ctx, nil, one)
		require.NoError(t, err)
		c, _, err := db.InsertImage(ctx, nil, two)
		require.NoError(t, err)

		for i, tc := range []struct {
			id        string
			remaining int
		}{{a.ID, 1}, {c.ID, 0}} {
			tx, err := db.BeginTx(ctx, nil)
			require.NoError(t, err)
			hash, remaining, err := DeleteImageTx(ctx, tx, tc.id)
			require.NoError(t, err)
			require.NoError(t, tx.Commit())
			assert.Equal(t, one.ContentHash, hash, "delete %d", i)
			assert.Equal(t, tc.remaining, remaining, "delete %d", i)
		}
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, _, err = DeleteImageTx(ctx, tx, a.ID)
		require.ErrorIs(t, err, ErrNotFound)
		require.NoError(t, tx.Rollback())
		var deletes int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = ?`, EventImageDeleted).Scan(&deletes))
		assert.Equal(t, 2, deletes, "one image.deleted per image deleted, none for the miss")
	})
}
