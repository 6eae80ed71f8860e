package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tables returns the names of the user and River tables in db, sorted,
// leaving out SQLite's own (sqlite_*).
func tables(t *testing.T, db *DB) []string {
	return queryNames(t, db, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// columns returns the column names of table.
func columns(t *testing.T, db *DB, table string) []string {
	return queryNames(t, db, `SELECT name FROM pragma_table_info(?)`, table)
}

// queryNames returns the one text column of every row of a query.
func queryNames(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

func TestMigrate(t *testing.T) { eachBackend(t, testMigrate) }

func testMigrate(t *testing.T, b backend) {
	ctx := context.Background()
	setup := func(t *testing.T) *DB {
		return b.openDB(t, filepath.Join(t.TempDir(), "svgtrace.db"), false)
	}

	t.Run("UpDownUp", func(t *testing.T) {
		db := setup(t)
		require.NoError(t, Migrate(ctx, db))
		got := tables(t, db)
		assert.Contains(t, got, "images")
		assert.Contains(t, got, "events")
		assert.Contains(t, got, "schema_migrations")
		assert.Contains(t, got, "river_job")
		assert.Contains(t, got, "river_migration")
		v, err := SchemaVersion(ctx, db)
		require.NoError(t, err)
		assert.Equal(t, LatestVersion(), v)
		assert.Equal(t, 4, v, "0004_reservations is the newest migration")

		// Twice is a no-op.
		require.NoError(t, Migrate(ctx, db))
		assert.Equal(t, got, tables(t, db))

		require.NoError(t, MigrateDown(ctx, db, 0))
		assert.Equal(t, []string{"schema_migrations"}, tables(t, db))
		v, err = SchemaVersion(ctx, db)
		require.NoError(t, err)
		assert.Equal(t, 0, v)
		// Down at the bottom is a no-op too.
		require.NoError(t, MigrateDown(ctx, db, 0))

		require.NoError(t, Migrate(ctx, db))
		assert.Equal(t, got, tables(t, db))
		require.NoError(t, insertImage(ctx, db, "after-reup"))
	})

	t.Run("Attempt0002UpDownUp", func(t *testing.T) {
		// 0002 adds images.attempt; down to 1 drops it and keeps the rows,
		// up again adds it back at 0.
		db := setup(t)
		require.NoError(t, Migrate(ctx, db))
		img, _, err := db.InsertImage(ctx, nil, newImage("0002"))
		require.NoError(t, err)
		_, err = db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		assert.Contains(t, columns(t, db, "images"), "attempt")

		require.NoError(t, MigrateDown(ctx, db, 1))
		v, err := SchemaVersion(ctx, db)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.NotContains(t, columns(t, db, "images"), "attempt")
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM images`).Scan(&n))
		assert.Equal(t, 1, n)

		require.NoError(t, Migrate(ctx, db))
		assert.Contains(t, columns(t, db, "images"), "attempt")
		got, err := db.GetImage(ctx, img.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 0, got.Attempt)
		a, err := db.ClaimAttempt(ctx, img.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, a)
		require.NoError(t, db.SaveTrace(ctx, img.ID, a, "<svg/>", nil))
	})

	t.Run("DownKeepsRiverAboveZero", func(t *testing.T) {
		db := setup(t)
		require.NoError(t, Migrate(ctx, db))
		require.NoError(t, MigrateDown(ctx, db, LatestVersion()))
		assert.Contains(t, tables(t, db), "images")
		require.Error(t, MigrateDown(ctx, db, LatestVersion()+1))
		require.Error(t, MigrateDown(ctx, db, -1))
	})

	t.Run("ConcurrentMigrators", func(t *testing.T) {
		// Server and workers all migrate at start; on an empty file they
		// race, and every one must succeed with one schema as the result.
		path := filepath.Join(t.TempDir(), "svgtrace.db")
		dbs := []*DB{b.openDB(t, path, false), b.openDB(t, path, false), b.openDB(t, path, false)}
		var wg sync.WaitGroup
		errs := make([]error, len(dbs))
		for i, db := range dbs {
			wg.Go(func() { errs[i] = Migrate(ctx, db) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var n int
		require.NoError(t, dbs[0].QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
		assert.Equal(t, LatestVersion(), n)
		assert.Contains(t, tables(t, dbs[0]), "river_job")
	})

	t.Run("RecordsAppliedAt", func(t *testing.T) {
		db := setup(t)
		before := time.Now().UnixMilli()
		require.NoError(t, Migrate(ctx, db))
		var at int64
		require.NoError(t, db.QueryRow(`SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&at))
		assert.GreaterOrEqual(t, at, before)
	})

	t.Run("RefusesNewerSchema", func(t *testing.T) {
		db := setup(t)
		require.NoError(t, Migrate(ctx, db))
		_, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, LatestVersion()+1)
		require.NoError(t, err)
		require.ErrorIs(t, Migrate(ctx, db), ErrSchemaTooNew)
	})
}

func TestSchema(t *testing.T) { eachBackend(t, testSchema) }

func testSchema(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.migrated(t)
	const ins = `INSERT INTO images
		(id, content_hash, options_key, mime, bytes, width, height, created_at, updated_at)
		VALUES (?, ?, ?, 'image/png', 10, 4, 3, 1, 1)`

	t.Run("UniqueContentAndOptions", func(t *testing.T) {
		h := hashHex("same bytes")
		_, err := db.ExecContext(ctx, ins, "a", h, `{"turdSize":2}`)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, ins, "b", h, `{"turdSize":2}`)
		require.ErrorContains(t, err, "UNIQUE constraint failed")
		// Other options make another image of the same bytes.
		_, err = db.ExecContext(ctx, ins, "c", h, `{"turdSize":3}`)
		require.NoError(t, err)
	})

	t.Run("Checks", func(t *testing.T) {
		_, err := db.ExecContext(ctx, ins, "d", "short", `{}`)
		require.ErrorContains(t, err, "CHECK constraint failed")
		_, err = db.ExecContext(ctx, ins, "e", hashHex("e"), `not json`)
		require.ErrorContains(t, err, "CHECK constraint failed")
		_, err = db.ExecContext(ctx, `UPDATE images SET status = 'lost' WHERE id = 'a'`)
		require.ErrorContains(t, err, "CHECK constraint failed")
		var status string
		require.NoError(t, db.QueryRowContext(ctx, `SELECT status FROM images WHERE id = 'a'`).Scan(&status))
		assert.Equal(t, "queued", status)
	})

	t.Run("EventIDsNeverReused", func(t *testing.T) {
		ins := `INSERT INTO events (image_id, type, created_at) VALUES ('a', 'x', 1) RETURNING id`
		var id1, id2 int64
		require.NoError(t, db.QueryRowContext(ctx, ins).Scan(&id1))
		_, err := db.ExecContext(ctx, `DELETE FROM events WHERE id = ?`, id1)
		require.NoError(t, err)
		require.NoError(t, db.QueryRowContext(ctx, ins).Scan(&id2))
		assert.Greater(t, id2, id1)
	})
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

	ms, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	assert.Equal(t, "images", ms[0].name)

	for name, fsys := range map[string]fstest.MapFS{
		"Gap": {
			"migrations/0001_a.up.sql": file("x"), "migrations/0001_a.down.sql": file("x"),
			"migrations/0003_c.up.sql": file("x"), "migrations/0003_c.down.sql": file("x"),
		},
		"NoDown":  {"migrations/0001_a.up.sql": file("x")},
		"BadName": {"migrations/one.up.sql": file("x"), "migrations/one.down.sql": file("x")},
		"TwoNames": {
			"migrations/0001_a.up.sql": file("x"), "migrations/0001_b.down.sql": file("x"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadMigrations(fsys)
			require.Error(t, err)
		})
	}
}
