package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newReservation returns a live reservation for the bytes named by seed,
// with the options of newImage(seed).
func newReservation(seed string) Reservation {
	img := newImage(seed)
	now := time.Now()
	return Reservation{
		ContentHash: img.ContentHash,
		OptionsKey:  img.OptionsKey,
		Tracer:      TracedByClient,
		Deadline:    now.Add(30 * time.Second),
		ExpiresAt:   now.Add(10 * time.Minute),
	}
}

// expiredReservation returns a reservation of seed made an hour ago that
// expired a minute ago.
func expiredReservation(seed string) Reservation {
	r := newReservation(seed)
	now := time.Now()
	r.CreatedAt = now.Add(-time.Hour)
	r.Deadline = now.Add(-59 * time.Minute)
	r.ExpiresAt = now.Add(-time.Minute)
	return r
}

// insertExpired stores r as it is, bypassing Reserve (which would replace an
// expired reservation at once).
func insertExpired(t *testing.T, db *DB, r Reservation) Reservation {
	t.Helper()
	r.ImageID, r.AssignmentID = NewImageID(), NewImageID()
	_, err := db.Exec(`INSERT INTO reservations (`+reservationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ImageID, r.AssignmentID, r.ContentHash, r.OptionsKey, r.Tracer,
		r.Deadline.UnixMilli(), r.ExpiresAt.UnixMilli(), r.CreatedAt.UnixMilli())
	require.NoError(t, err)
	return r
}

func countReservations(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM reservations`).Scan(&n))
	return n
}

// reservationsOf counts the reservations of the bytes named by seed, with
// any options.
func reservationsOf(t *testing.T, db *DB, seed string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM reservations WHERE content_hash = ?`, hashHex(seed)).Scan(&n))
	return n
}

// tracedPayloads returns the payloads of the image's traced events, oldest
// first.
func tracedPayloads(t *testing.T, db *DB, id string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT payload FROM events WHERE image_id = ? AND type = ? ORDER BY id`, id, EventTraced)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		require.NoError(t, rows.Scan(&p))
		out = append(out, p)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestReserve(t *testing.T) { eachBackend(t, testReserve) }

func testReserve(t *testing.T, b backend) {
	ctx := context.Background()
	// One database for the subtests (each uses its own bytes), since
	// migrating one costs a second under -race.
	db := b.migrated(t)

	t.Run("Creates", func(t *testing.T) {
		want := newReservation("creates")
		r, created, existing, err := db.Reserve(ctx, want)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Nil(t, existing)
		assert.Regexp(t, `^[a-z2-7]{26}$`, r.ImageID)
		assert.Regexp(t, `^[a-z2-7]{26}$`, r.AssignmentID)
		assert.NotEqual(t, r.ImageID, r.AssignmentID)
		assert.Equal(t, want.ContentHash, r.ContentHash)
		assert.Equal(t, want.OptionsKey, r.OptionsKey)
		assert.Equal(t, TracedByClient, r.Tracer)
		assert.Equal(t, want.Deadline.UnixMilli(), r.Deadline.UnixMilli())
		assert.Equal(t, want.ExpiresAt.UnixMilli(), r.ExpiresAt.UnixMilli())
		assert.False(t, r.CreatedAt.IsZero())

		got, err := db.GetReservation(ctx, r.ImageID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
	})

	t.Run("SameAgain", func(t *testing.T) {
		// A second plan of the same bytes and options shares the first's
		// reservation, whatever it asked for itself.
		first, created, _, err := db.Reserve(ctx, newReservation("again"))
		require.NoError(t, err)
		require.True(t, created)
		second := newReservation("again")
		second.Tracer = TracedByServer
		got, created, existing, err := db.Reserve(ctx, second)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Nil(t, existing)
		assert.Equal(t, first, got)
		assert.Equal(t, 1, reservationsOf(t, db, "again"))

		// Other options are another reservation.
		other := newReservation("again")
		other.OptionsKey = `{"preset":"detailed"}`
		o, created, _, err := db.Reserve(ctx, other)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotEqual(t, first.ImageID, o.ImageID)
	})

	t.Run("ImageExists", func(t *testing.T) {
		img, _, err := db.InsertImage(ctx, nil, newImage("exists"))
		require.NoError(t, err)
		r, created, existing, err := db.Reserve(ctx, newReservation("exists"))
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, Reservation{}, r)
		require.NotNil(t, existing)
		assert.Equal(t, img, *existing)
		assert.Equal(t, 0, reservationsOf(t, db, "exists"))
	})

	t.Run("ImageExistsWithLiveReservation", func(t *testing.T) {
		// The image takes precedence over a reservation of the same bytes
		// still live (an upload without the plan's id got in first).
		_, created, _, err := db.Reserve(ctx, newReservation("both"))
		require.NoError(t, err)
		require.True(t, created)
		img, _, err := db.InsertImage(ctx, nil, newImage("both"))
		require.NoError(t, err)
		r, created, existing, err := db.Reserve(ctx, newReservation("both"))
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, Reservation{}, r)
		require.NotNil(t, existing)
		assert.Equal(t, img.ID, existing.ID)
	})

	t.Run("ExpiredReplaced", func(t *testing.T) {
		old := insertExpired(t, db, expiredReservation("expired"))
		r, created, existing, err := db.Reserve(ctx, newReservation("expired"))
		require.NoError(t, err)
		assert.True(t, created)
		assert.Nil(t, existing)
		assert.NotEqual(t, old.ImageID, r.ImageID)
		assert.NotEqual(t, old.AssignmentID, r.AssignmentID)
		assert.Equal(t, 1, reservationsOf(t, db, "expired"))
		_, err = db.GetReservation(ctx, old.ImageID)
		require.ErrorIs(t, err, ErrNoReservation)
	})

	t.Run("GivenIDsKept", func(t *testing.T) {
		want := newReservation("given")
		want.ImageID, want.AssignmentID = NewImageID(), NewImageID()
		r, created, _, err := db.Reserve(ctx, want)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, want.ImageID, r.ImageID)
		assert.Equal(t, want.AssignmentID, r.AssignmentID)
	})

	t.Run("Invalid", func(t *testing.T) {
		bad := newReservation("invalid")
		bad.Tracer = "someone"
		_, _, _, err := db.Reserve(ctx, bad)
		require.ErrorContains(t, err, "store: reserve image: ")
		assert.Equal(t, 0, reservationsOf(t, db, "invalid"))
	})

	t.Run("Concurrent", func(t *testing.T) {
		// 10 plans of the same bytes and options, each through its own pool
		// (as separate server processes would be): one reservation, shared.
		path := filepath.Join(t.TempDir(), "svgtrace.db")
		b.openDB(t, path, true)
		const n = 10
		dbs := make([]*DB, n)
		for i := range dbs {
			dbs[i] = b.openDB(t, path, false)
		}
		var (
			wg       sync.WaitGroup
			got      = make([]Reservation, n)
			creates  = make([]bool, n)
			existing = make([]*Image, n)
			errs     = make([]error, n)
			start    = make(chan struct{})
		)
		for i, db := range dbs {
			wg.Go(func() {
				<-start
				got[i], creates[i], existing[i], errs[i] = db.Reserve(ctx, newReservation("concurrent"))
			})
		}
		close(start)
		wg.Wait()
		nCreated := 0
		for i := range n {
			require.NoError(t, errs[i])
			assert.Nil(t, existing[i])
			assert.Equal(t, got[0].ImageID, got[i].ImageID)
			assert.Equal(t, got[0].AssignmentID, got[i].AssignmentID)
			if creates[i] {
				nCreated++
			}
		}
		assert.Equal(t, 1, nCreated)
		assert.Equal(t, 1, countReservations(t, dbs[0]))
	})
}

func TestTakeReservation(t *testing.T) { eachBackend(t, testTakeReservation) }

func testTakeReservation(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	take := func(t *testing.T, id string, commit bool) (Reservation, error) {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		r, err := TakeReservation(ctx, tx, id, time.Now())
		if commit {
			require.NoError(t, tx.Commit())
		} else {
			require.NoError(t, tx.Rollback())
		}
		return r, err
	}

	t.Run("TakesOnce", func(t *testing.T) {
		r, _, _, err := db.Reserve(ctx, newReservation("take"))
		require.NoError(t, err)
		got, err := take(t, r.ImageID, true)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		_, err = db.GetReservation(ctx, r.ImageID)
		require.ErrorIs(t, err, ErrNoReservation)

		_, err = take(t, r.ImageID, true)
		require.ErrorIs(t, err, ErrNoReservation)
		assert.ErrorContains(t, err, r.ImageID)
	})

	t.Run("Expired", func(t *testing.T) {
		r := insertExpired(t, db, expiredReservation("take expired"))
		_, err := take(t, r.ImageID, true)
		require.ErrorIs(t, err, ErrNoReservation)
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := take(t, "nope", true)
		require.ErrorIs(t, err, ErrNoReservation)
	})

	t.Run("RolledBack", func(t *testing.T) {
		// An upload whose transaction fails leaves the reservation for a
		// retry.
		r, _, _, err := db.Reserve(ctx, newReservation("take rollback"))
		require.NoError(t, err)
		got, err := take(t, r.ImageID, false)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		still, err := db.GetReservation(ctx, r.ImageID)
		require.NoError(t, err)
		assert.Equal(t, r, still)
		_, err = take(t, r.ImageID, true)
		require.NoError(t, err)
	})
}

func TestGetReservation(t *testing.T) { eachBackend(t, testGetReservation) }

func testGetReservation(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)

	live, _, _, err := db.Reserve(ctx, newReservation("get live"))
	require.NoError(t, err)
	got, err := db.GetReservation(ctx, live.ImageID)
	require.NoError(t, err)
	assert.Equal(t, live, got)

	old := insertExpired(t, db, expiredReservation("get expired"))
	_, err = db.GetReservation(ctx, old.ImageID)
	require.ErrorIs(t, err, ErrNoReservation)

	_, err = db.GetReservation(ctx, "nope")
	require.ErrorIs(t, err, ErrNoReservation)
	assert.EqualError(t, err, `store: no such reservation: "nope"`)
}

func TestExpireReservations(t *testing.T) { eachBackend(t, testExpireReservations) }

func testExpireReservations(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)

	live, _, _, err := db.Reserve(ctx, newReservation("expire live"))
	require.NoError(t, err)
	insertExpired(t, db, expiredReservation("expire one"))
	insertExpired(t, db, expiredReservation("expire two"))
	require.Equal(t, 3, countReservations(t, db))

	n, err := db.ExpireReservations(ctx, time.Now())
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.Equal(t, 1, countReservations(t, db))
	_, err = db.GetReservation(ctx, live.ImageID)
	require.NoError(t, err)

	n, err = db.ExpireReservations(ctx, time.Now())
	require.NoError(t, err)
	assert.EqualValues(t, 0, n)

	// Past the live one's expiry it goes too.
	n, err = db.ExpireReservations(ctx, live.ExpiresAt.Add(time.Millisecond))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Equal(t, 0, countReservations(t, db))
}

func TestSaveClientTrace(t *testing.T) { eachBackend(t, testSaveClientTrace) }

func testSaveClientTrace(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	// assigned inserts an image uploaded under a fresh assignment.
	assigned := func(t *testing.T, seed string) Image {
		t.Helper()
		img := newImage(seed)
		img.AssignmentID = NewImageID()
		got, created, err := db.InsertImage(ctx, nil, img)
		require.NoError(t, err)
		require.True(t, created)
		assert.Equal(t, img.AssignmentID, got.AssignmentID)
		return got
	}

	t.Run("Accepted", func(t *testing.T) {
		img := assigned(t, "client ok")
		before := time.Now().Truncate(time.Millisecond)
		stats := json.RawMessage(`{"paths":3,"ms":12.5}`)
		require.NoError(t, db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "<svg>client</svg>", stats))
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusTraced, got.Status)
		assert.Equal(t, TracedByClient, got.TracedBy)
		assert.Equal(t, "<svg>client</svg>", got.SVG)
		assert.Empty(t, got.Error)
		assert.False(t, got.TracedAt.Before(before))
		assert.EqualValues(t, img.Attempt+1, got.Attempt)
		assert.JSONEq(t, `{"by":"client","paths":3,"ms":12.5}`, got.Stats)
		payloads := tracedPayloads(t, db, img.ID)
		require.Len(t, payloads, 1)
		assert.JSONEq(t, `{"by":"client","paths":3,"ms":12.5}`, payloads[0])
	})

	t.Run("FencesBackend", func(t *testing.T) {
		// The backend started tracing (deadline passed), then the client's
		// result arrives: the client's stands, the backend's is refused.
		img := assigned(t, "client fences")
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		require.NoError(t, db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "<svg>client</svg>", nil))
		require.ErrorIs(t, db.SaveTrace(ctx, img.ID, a, "<svg>server</svg>", nil), ErrStaleAttempt)
		require.ErrorIs(t, db.FailTrace(ctx, img.ID, a, "late"), ErrStaleAttempt)
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusTraced, got.Status)
		assert.Equal(t, TracedByClient, got.TracedBy)
		assert.Equal(t, "<svg>client</svg>", got.SVG)
		assert.EqualValues(t, a+1, got.Attempt)
		assert.Len(t, tracedPayloads(t, db, img.ID), 1)
	})

	t.Run("WrongAssignment", func(t *testing.T) {
		img := assigned(t, "client wrong")
		err := db.SaveClientTrace(ctx, img.ID, NewImageID(), "<svg>client</svg>", nil)
		require.ErrorIs(t, err, ErrWrongAssignment)
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, img, got)
		assert.Empty(t, tracedPayloads(t, db, img.ID))

		// An image uploaded without a plan has no assignment to name.
		plain, _, err := db.InsertImage(ctx, nil, newImage("client unassigned"))
		require.NoError(t, err)
		err = db.SaveClientTrace(ctx, plain.ID, NewImageID(), "<svg>client</svg>", nil)
		require.ErrorIs(t, err, ErrWrongAssignment)
	})

	t.Run("AlreadyTraced", func(t *testing.T) {
		img := assigned(t, "client late")
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		require.NoError(t, db.SaveTrace(ctx, img.ID, a, "<svg>server</svg>", map[string]int{"paths": 1}))
		before, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)

		err = db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "<svg>client</svg>", nil)
		require.ErrorIs(t, err, ErrAlreadyTraced)
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, before, got)
		assert.Equal(t, "<svg>server</svg>", got.SVG)
		assert.Equal(t, TracedByServer, got.TracedBy)
		assert.Len(t, tracedPayloads(t, db, img.ID), 1)

		// A second client result is refused the same way.
		img2 := assigned(t, "client twice")
		require.NoError(t, db.SaveClientTrace(ctx, img2.ID, img2.AssignmentID, "<svg>first</svg>", nil))
		err = db.SaveClientTrace(ctx, img2.ID, img2.AssignmentID, "<svg>second</svg>", nil)
		require.ErrorIs(t, err, ErrAlreadyTraced)
		got, err = db.GetImage(ctx, img2.ID)
		require.NoError(t, err)
		assert.Equal(t, "<svg>first</svg>", got.SVG)
	})

	t.Run("AfterFailure", func(t *testing.T) {
		// A failed backend trace does not stop a client result.
		img := assigned(t, "client after failure")
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		require.NoError(t, db.FailTrace(ctx, img.ID, a, "boom"))
		require.NoError(t, db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "<svg>client</svg>", nil))
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusTraced, got.Status)
		assert.Empty(t, got.Error)
	})

	t.Run("NoAssignmentCheck", func(t *testing.T) {
		// "" is the offline upload carrying its own trace: no check.
		img := assigned(t, "client offline")
		require.NoError(t, db.SaveClientTrace(ctx, img.ID, "", "<svg>offline</svg>", nil))
		plain, _, err := db.InsertImage(ctx, nil, newImage("client offline plain"))
		require.NoError(t, err)
		require.NoError(t, db.SaveClientTrace(ctx, plain.ID, "", "<svg>offline</svg>", nil))
		got, err := db.GetImage(ctx, plain.ID)
		require.NoError(t, err)
		assert.Equal(t, TracedByClient, got.TracedBy)
	})

	t.Run("Missing", func(t *testing.T) {
		require.ErrorIs(t, db.SaveClientTrace(ctx, "nope", "", "<svg/>", nil), ErrNotFound)
		require.ErrorIs(t, db.SaveClientTrace(ctx, "nope", "x", "<svg/>", nil), ErrNotFound)
	})

	t.Run("EmptySVG", func(t *testing.T) {
		img := assigned(t, "client empty")
		require.ErrorContains(t, db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "", nil), "empty SVG")
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, StatusQueued, got.Status)
	})

	t.Run("BadStats", func(t *testing.T) {
		// Stats a client sent that are not a JSON object are dropped; the
		// trace is still stored.
		for _, stats := range []string{`{not json`, `[1,2]`, `"text"`, `42`, `null`, `{"by":"server"}`} {
			t.Run(stats, func(t *testing.T) {
				img := assigned(t, "client stats "+stats)
				require.NoError(t, db.SaveClientTrace(ctx, img.ID, img.AssignmentID, "<svg/>", json.RawMessage(stats)))
				payloads := tracedPayloads(t, db, img.ID)
				require.Len(t, payloads, 1)
				assert.JSONEq(t, `{"by":"client"}`, payloads[0])
				got, err := db.GetImage(ctx, img.ID)
				require.NoError(t, err)
				assert.JSONEq(t, `{"by":"client"}`, got.Stats)
			})
		}
	})

	t.Run("InCallersTransaction", func(t *testing.T) {
		img := assigned(t, "client tx")
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, SaveClientTraceTx(ctx, tx, img.ID, img.AssignmentID, "<svg/>", nil))
		require.NoError(t, tx.Rollback())
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.Equal(t, img, got)
		assert.Empty(t, tracedPayloads(t, db, img.ID))
	})
}

func TestSaveTraceTracedBy(t *testing.T) { eachBackend(t, testSaveTraceTracedBy) }

func testSaveTraceTracedBy(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	img, _, err := db.InsertImage(ctx, nil, newImage("server traced"))
	require.NoError(t, err)
	assert.Empty(t, img.TracedBy)
	a, err := db.ClaimAttempt(ctx, img.ID)
	require.NoError(t, err)
	require.NoError(t, db.SaveTrace(ctx, img.ID, a, "<svg>server</svg>", nil))
	got, err := db.GetImage(ctx, img.ID)
	require.NoError(t, err)
	assert.Equal(t, TracedByServer, got.TracedBy)
	assert.Empty(t, got.AssignmentID)
}
