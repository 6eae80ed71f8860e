package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvents(t *testing.T) { eachBackend(t, testEvents) }

func testEvents(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)

	evs, err := db.EventsAfter(ctx, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, evs)

	var appended []Event
	for i := range 12 {
		var payload any
		switch i % 3 {
		case 1:
			payload = map[string]int{"i": i}
		case 2:
			payload = json.RawMessage(fmt.Sprintf(`{"raw": %d}`, i))
		}
		ev, err := AppendEvent(ctx, db, fmt.Sprintf("img%d", i%4), fmt.Sprintf("stage%d", i), payload)
		require.NoError(t, err)
		appended = append(appended, ev)
	}
	assert.JSONEq(t, `{}`, string(appended[0].Payload))
	assert.JSONEq(t, `{"i":1}`, string(appended[1].Payload))
	assert.JSONEq(t, `{"raw":2}`, string(appended[2].Payload))

	all, err := db.EventsAfter(ctx, 0, 100)
	require.NoError(t, err)
	require.Len(t, all, 12)
	for i, ev := range all {
		assert.Equal(t, appended[i].ID, ev.ID)
		assert.Equal(t, appended[i].Type, ev.Type)
		assert.Equal(t, appended[i].ImageID, ev.ImageID)
		assert.JSONEq(t, string(appended[i].Payload), string(ev.Payload))
		assert.Equal(t, appended[i].CreatedAt, ev.CreatedAt)
		if i > 0 {
			assert.Greater(t, ev.ID, all[i-1].ID)
		}
	}

	// Paging by the last ID seen walks every event once, in order.
	var walked []int64
	var after int64
	for {
		page, err := db.EventsAfter(ctx, after, 5)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 5)
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			walked = append(walked, ev.ID)
		}
		after = page[len(page)-1].ID
	}
	var want []int64
	for _, ev := range appended {
		want = append(want, ev.ID)
	}
	assert.Equal(t, want, walked)

	mid, err := db.EventsAfter(ctx, appended[9].ID, 100)
	require.NoError(t, err)
	require.Len(t, mid, 2)
	assert.Equal(t, appended[10].ID, mid[0].ID)

	// A rolled-back event never appears.
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = AppendEvent(ctx, tx, "img", "ghost", nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	tail, err := db.EventsAfter(ctx, appended[11].ID, 10)
	require.NoError(t, err)
	assert.Empty(t, tail)

	_, err = AppendEvent(ctx, db, "img", "", nil)
	require.Error(t, err)
	_, err = AppendEvent(ctx, db, "img", "x", json.RawMessage(`not json`))
	require.Error(t, err)
	_, err = AppendEvent(ctx, db, "img", "x", make(chan int))
	require.Error(t, err)
	_, err = db.EventsAfter(ctx, 0, 0)
	require.Error(t, err)
	_, err = db.EventsAfter(ctx, 0, MaxEventsLimit+1)
	require.Error(t, err)
}
