package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newImage returns a valid Image for the bytes named by seed.
func newImage(seed string) Image {
	return Image{
		ContentHash: hashHex(seed),
		OptionsKey:  `{"preset":"placeholder"}`,
		Title:       "t " + seed,
		Alt:         "a " + seed,
		MIME:        "image/png",
		Bytes:       123,
		Width:       40,
		Height:      30,
	}
}

func migrated(t *testing.T) *DB {
	t.Helper()
	return openFile(t, filepath.Join(t.TempDir(), "svgtrace.db"), true)
}

func TestNewImageID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewImageID()
		require.Regexp(t, regexp.MustCompile(`^[a-z2-7]{26}$`), id)
		require.False(t, seen[id], "repeated id %s", id)
		seen[id] = true
	}
}

func TestInsertGetImage(t *testing.T) { eachBackend(t, testInsertGetImage) }

func testInsertGetImage(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)

	before := time.Now().Truncate(time.Millisecond)
	img, created, err := db.InsertImage(ctx, nil, newImage("one"))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Len(t, img.ID, 26)
	assert.Equal(t, StatusQueued, img.Status)
	assert.Equal(t, "t one", img.Title)
	assert.EqualValues(t, 0, img.Attempt)
	assert.False(t, img.CreatedAt.Before(before))
	assert.Equal(t, img.CreatedAt, img.UpdatedAt)
	assert.True(t, img.TracedAt.IsZero())
	assert.Empty(t, img.SVG)

	got, err := db.GetImage(ctx, img.ID)
	require.NoError(t, err)
	assert.Equal(t, img, got)

	// The same bytes and options again, in a transaction as the API does it:
	// the existing row, not created, and the transaction commits nothing new.
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	again, created, err := db.InsertImage(ctx, tx, newImage("one"))
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	assert.False(t, created)
	assert.Equal(t, img, again)

	// Other options are another image of the same bytes.
	other := newImage("one")
	other.OptionsKey = `{"preset":"detailed"}`
	o, created, err := db.InsertImage(ctx, nil, other)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, img.ID, o.ID)

	// A rolled-back insert leaves nothing.
	tx, err = db.BeginTx(ctx, nil)
	require.NoError(t, err)
	rb, created, err := db.InsertImage(ctx, tx, newImage("rolled back"))
	require.NoError(t, err)
	assert.True(t, created)
	require.NoError(t, tx.Rollback())
	_, err = db.GetImage(ctx, rb.ID)
	require.ErrorIs(t, err, ErrNotFound)

	// Constraint failures other than the duplicate are errors.
	bad := newImage("bad")
	bad.ContentHash = "short"
	_, _, err = db.InsertImage(ctx, nil, bad)
	require.ErrorContains(t, err, "store: insert image: ")

	_, err = db.GetImage(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)
	assert.EqualError(t, ErrNotFound, "store: image not found")
}

func TestInsertImageConcurrentSame(t *testing.T) { eachBackend(t, testInsertImageConcurrentSame) }

func testInsertImageConcurrentSame(t *testing.T, b backend) {
	// 20 uploads of the same bytes with the same options, each through its
	// own pool (as separate processes would be) in its own transaction: one
	// image, and every caller gets it.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "svgtrace.db")
	b.openDB(t, path, true)
	const n = 20
	dbs := make([]*DB, n)
	for i := range dbs {
		dbs[i] = b.openDB(t, path, false)
	}
	var (
		wg      sync.WaitGroup
		ids     = make([]string, n)
		creates = make([]bool, n)
		errs    = make([]error, n)
		start   = make(chan struct{})
	)
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer tx.Rollback()
			img, created, err := db.InsertImage(ctx, tx, newImage("same"))
			if err != nil {
				errs[i] = err
				return
			}
			ids[i], creates[i], errs[i] = img.ID, created, tx.Commit()
		})
	}
	close(start)
	wg.Wait()
	nCreated := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, ids[0], ids[i])
		if creates[i] {
			nCreated++
		}
	}
	assert.Equal(t, 1, nCreated)
	var rows int
	require.NoError(t, dbs[0].QueryRow(`SELECT count(*) FROM images`).Scan(&rows))
	assert.Equal(t, 1, rows)
}

func TestListImages(t *testing.T) { eachBackend(t, testListImages) }

func testListImages(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)

	// 7 images over 3 milliseconds, several sharing one, so ties are broken
	// by ID.
	base := time.UnixMilli(1_700_000_000_000).UTC()
	var want []Image
	for i := range 7 {
		img := newImage(fmt.Sprint(i))
		img.ID = fmt.Sprintf("id%02d", (i*5)%7) // IDs not in insertion order
		img.CreatedAt = base.Add(time.Duration(i/3) * time.Millisecond)
		got, created, err := db.InsertImage(ctx, nil, img)
		require.NoError(t, err)
		require.True(t, created)
		want = append(want, got)
	}
	// Newest first: created_at descending, then ID descending.
	sorted := append([]Image(nil), want...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			a, b := sorted[i], sorted[j]
			if b.CreatedAt.After(a.CreatedAt) || (b.CreatedAt.Equal(a.CreatedAt) && b.ID > a.ID) {
				sorted[i], sorted[j] = b, a
			}
		}
	}

	for _, limit := range []int{1, 2, 3, 7, 10} {
		t.Run(fmt.Sprint("Limit", limit), func(t *testing.T) {
			var all []Image
			var cur Cursor
			pages := 0
			for {
				page, next, err := db.ListImages(ctx, cur, limit)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), limit)
				require.NotEmpty(t, page, "no empty pages")
				all = append(all, page...)
				pages++
				if next.IsZero() {
					break
				}
				// Through the text form, as an API client would.
				cur, err = ParseCursor(next.String())
				require.NoError(t, err)
				require.Equal(t, next, cur)
			}
			assert.Equal(t, sorted, all)
			assert.Equal(t, (7+limit-1)/limit, pages)
		})
	}

	// A new upload between pages does not shift the next page.
	page1, next, err := db.ListImages(ctx, Cursor{}, 3)
	require.NoError(t, err)
	_, _, err = db.InsertImage(ctx, nil, newImage("late"))
	require.NoError(t, err)
	page2, _, err := db.ListImages(ctx, next, 3)
	require.NoError(t, err)
	assert.Equal(t, sorted[:3], page1)
	assert.Equal(t, sorted[3:6], page2)

	_, _, err = db.ListImages(ctx, Cursor{}, 0)
	require.Error(t, err)
	_, _, err = db.ListImages(ctx, Cursor{}, MaxListLimit+1)
	require.Error(t, err)
	for _, s := range []string{"x", "12", "12.", ".id", "1e3.id", "+1.id"} {
		_, err := ParseCursor(s)
		require.Error(t, err, s)
	}
}

func TestDeleteImage(t *testing.T) { eachBackend(t, testDeleteImage) }

func testDeleteImage(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	img, _, err := db.InsertImage(ctx, nil, newImage("del"))
	require.NoError(t, err)

	require.NoError(t, db.DeleteImage(ctx, img.ID))
	_, err = db.GetImage(ctx, img.ID)
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, db.DeleteImage(ctx, img.ID), ErrNotFound)

	evs, err := db.EventsAfter(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1, "one event: the failed second delete appends none")
	assert.Equal(t, img.ID, evs[0].ImageID)
	assert.Equal(t, EventImageDeleted, evs[0].Type)
	assert.JSONEq(t, `{}`, string(evs[0].Payload))

	// Deleted, the same bytes upload as a new image.
	again, created, err := db.InsertImage(ctx, nil, newImage("del"))
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, img.ID, again.ID)
}

func TestUpdateImageText(t *testing.T) { eachBackend(t, testUpdateImageText) }

func testUpdateImageText(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	img, _, err := db.InsertImage(ctx, nil, newImage("text"))
	require.NoError(t, err)
	str := func(s string) *string { return &s }

	// Run in order: each row starts from the previous one's result.
	for _, tc := range []struct {
		name         string
		title, alt   *string
		changed      bool
		wantT, wantA string
	}{
		{name: "AltOnly", alt: str("a new"), changed: true, wantT: "t text", wantA: "a new"},
		{name: "TitleOnly", title: str("t new"), changed: true, wantT: "t new", wantA: "a new"},
		{name: "SameValues", title: str("t new"), alt: str("a new"), wantT: "t new", wantA: "a new"},
		{name: "Nothing", wantT: "t new", wantA: "a new"},
		{name: "Both", title: str(""), alt: str("a both"), changed: true, wantT: "", wantA: "a both"},
		{name: "OneSameOneNew", title: str(""), alt: str("a last"), changed: true, wantT: "", wantA: "a last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := UpdateImageText(ctx, db, img.ID, tc.title, tc.alt)
			require.NoError(t, err)
			assert.Equal(t, tc.changed, changed)
			assert.Equal(t, tc.wantT, got.Title)
			assert.Equal(t, tc.wantA, got.Alt)
			stored, err := db.GetImage(ctx, img.ID)
			require.NoError(t, err)
			assert.Equal(t, got, stored, "the answer is the row as stored")
		})
	}

	t.Run("NotFound", func(t *testing.T) {
		_, _, err := UpdateImageText(ctx, db, "nosuchimage", str("x"), nil)
		require.ErrorIs(t, err, ErrNotFound)
		_, _, err = UpdateImageText(ctx, db, "nosuchimage", nil, nil)
		require.ErrorIs(t, err, ErrNotFound)
	})

	evs, err := db.EventsAfter(ctx, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, evs, "the caller appends the event")
}

func TestFence(t *testing.T) { eachBackend(t, testFence) }

func testFence(t *testing.T, be backend) {
	ctx := context.Background()
	db := be.migrated(t)
	countEvents := func(t *testing.T, id, typ string) int {
		t.Helper()
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM events WHERE image_id = ? AND type = ?`, id, typ).Scan(&n))
		return n
	}

	t.Run("SaveTrace", func(t *testing.T) {
		img, _, err := db.InsertImage(ctx, nil, newImage("fence save"))
		require.NoError(t, err)
		a1, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		a2, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, a1)
		assert.EqualValues(t, 2, a2)

		// The newer attempt saves first, then the stale one comes back.
		require.NoError(t, db.SaveTrace(ctx, img.ID, a2, "<svg>two</svg>", map[string]int{"paths": 2}))
		err = db.SaveTrace(ctx, img.ID, a1, "<svg>one</svg>", nil)
		require.ErrorIs(t, err, ErrStaleAttempt)
		// Nor may a stale attempt fail the image.
		require.ErrorIs(t, db.FailTrace(ctx, img.ID, a1, "late"), ErrStaleAttempt)

		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusTraced, got.Status)
		assert.Equal(t, "<svg>two</svg>", got.SVG)
		assert.Empty(t, got.Error)
		assert.False(t, got.TracedAt.IsZero())
		assert.EqualValues(t, 2, got.Attempt)
		assert.Equal(t, 1, countEvents(t, img.ID, EventTraced))
		assert.Equal(t, 0, countEvents(t, img.ID, EventFailed))
		evs, err := db.EventsAfter(ctx, 0, 100)
		require.NoError(t, err)
		var payload map[string]int
		for _, ev := range evs {
			if ev.ImageID == img.ID && ev.Type == EventTraced {
				require.NoError(t, json.Unmarshal(ev.Payload, &payload))
			}
		}
		assert.Equal(t, map[string]int{"paths": 2}, payload)
	})

	t.Run("StaleFirst", func(t *testing.T) {
		// The stale attempt returns before the current one finishes: it is
		// rejected, and the current one's result is still written.
		img, _, err := db.InsertImage(ctx, nil, newImage("fence order"))
		require.NoError(t, err)
		a1, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		a2, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		require.ErrorIs(t, db.SaveTrace(ctx, img.ID, a1, "<svg>one</svg>", nil), ErrStaleAttempt)
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusQueued, got.Status)
		assert.Empty(t, got.SVG)
		require.NoError(t, db.SaveTrace(ctx, img.ID, a2, "<svg>two</svg>", nil))
		got, err = db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, "<svg>two</svg>", got.SVG)
		assert.Equal(t, 1, countEvents(t, img.ID, EventTraced))
	})

	t.Run("FailTrace", func(t *testing.T) {
		img, _, err := db.InsertImage(ctx, nil, newImage("fence fail"))
		require.NoError(t, err)
		a1, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		a2, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		require.ErrorIs(t, db.FailTrace(ctx, img.ID, a1, "stale reason"), ErrStaleAttempt)
		require.NoError(t, db.FailTrace(ctx, img.ID, a2, "corrupt image"))
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, got.Status)
		assert.Equal(t, "corrupt image", got.Error)
		assert.Empty(t, got.SVG)
		assert.True(t, got.TracedAt.IsZero())
		assert.Equal(t, 1, countEvents(t, img.ID, EventFailed))
		assert.Equal(t, 0, countEvents(t, img.ID, EventTraced))
		var payload string
		require.NoError(t, db.QueryRow(`SELECT payload FROM events WHERE image_id = ? AND type = ?`,
			img.ID, EventFailed).Scan(&payload))
		assert.JSONEq(t, `{"error":"corrupt image"}`, payload)
	})

	t.Run("InCallersTransaction", func(t *testing.T) {
		// A rolled-back SaveTraceTx leaves neither result nor event.
		img, _, err := db.InsertImage(ctx, nil, newImage("fence tx"))
		require.NoError(t, err)
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, SaveTraceTx(ctx, tx, img.ID, a, "<svg/>", nil))
		require.NoError(t, tx.Rollback())
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusQueued, got.Status)
		assert.Equal(t, 0, countEvents(t, img.ID, EventTraced))
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := db.ClaimAttempt(ctx, "nope")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, db.SaveTrace(ctx, "nope", 1, "<svg/>", nil), ErrNotFound)
		require.ErrorIs(t, db.FailTrace(ctx, "nope", 1, "x"), ErrNotFound)
	})

	t.Run("ConcurrentClaims", func(t *testing.T) {
		// Claims from two pools never share a number.
		path := filepath.Join(t.TempDir(), "svgtrace.db")
		a := be.openDB(t, path, true)
		b := be.openDB(t, path, false)
		img, _, err := a.InsertImage(ctx, nil, newImage("claims"))
		require.NoError(t, err)
		const per = 25
		got := make(chan int64, 2*per)
		var wg sync.WaitGroup
		for _, db := range []*DB{a, b} {
			wg.Go(func() {
				for range per {
					n, err := db.ClaimAttempt(ctx, img.ID)
					if err != nil {
						t.Error(err)
						return
					}
					got <- n
				}
			})
		}
		wg.Wait()
		close(got)
		seen := map[int64]bool{}
		for n := range got {
			assert.False(t, seen[n], "attempt %d twice", n)
			seen[n] = true
		}
		assert.Len(t, seen, 2*per)
		for i := int64(1); i <= 2*per; i++ {
			assert.True(t, seen[i], "attempt %d missing", i)
		}
	})
}

func TestListImagesUsesIndex(t *testing.T) {
	// Keyset pagination is only constant-cost if SQLite seeks the
	// images_newest index instead of sorting the table.
	db := migrated(t)
	for _, q := range []string{
		`SELECT id FROM images ORDER BY created_at DESC, id DESC LIMIT 10`,
		`SELECT id FROM images WHERE (created_at, id) < (1, 'x') ORDER BY created_at DESC, id DESC LIMIT 10`,
	} {
		rows, err := db.Query(`EXPLAIN QUERY PLAN ` + q)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		joined := fmt.Sprint(plan)
		assert.Contains(t, joined, "images_newest", q)
		assert.NotContains(t, joined, "TEMP B-TREE", q)
		t.Log(joined)
	}
}
