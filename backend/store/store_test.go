package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openFile opens a fresh database file under t.TempDir and closes it with the
// test. Migrated databases are what every other test needs.
func openFile(t *testing.T, path string, migrate bool) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "file:"+path, "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	if migrate {
		require.NoError(t, Migrate(ctx, db))
	}
	return db
}

func pragma(t *testing.T, db *DB, name string) string {
	t.Helper()
	var v string
	require.NoError(t, db.QueryRow("PRAGMA "+name).Scan(&v))
	return v
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("CreatesFileInWALMode", func(t *testing.T) {
		// The parent directory does not exist yet: Open makes it.
		path := filepath.Join(t.TempDir(), "data", "sub", "svgtrace.db")
		db := openFile(t, path, false)
		_, err := os.Stat(path)
		require.NoError(t, err)
		assert.True(t, db.Local())
		assert.Equal(t, "wal", strings.ToLower(pragma(t, db, "journal_mode")))
		assert.Equal(t, "10000", pragma(t, db, "busy_timeout"))
		assert.Equal(t, "1", pragma(t, db, "synchronous")) // NORMAL
		assert.Equal(t, 1, db.Stats().MaxOpenConnections)
	})

	t.Run("KeepsPragmasTheURLSets", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.db")
		db, err := Open(ctx, "file:"+path+"?_pragma=busy_timeout(2500)&_synchronous=FULL", "")
		require.NoError(t, err)
		defer db.Close()
		assert.Equal(t, "2500", pragma(t, db, "busy_timeout"))
		assert.Equal(t, "2", pragma(t, db, "synchronous")) // FULL
		assert.Equal(t, "wal", strings.ToLower(pragma(t, db, "journal_mode")))
	})

	t.Run("TripleSlashURL", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new", "y.db")
		db, err := Open(ctx, "file://"+path, "")
		require.NoError(t, err)
		defer db.Close()
		_, err = os.Stat(path)
		require.NoError(t, err)
	})

	t.Run("RemoteErrorHidesToken", func(t *testing.T) {
		// Nothing listens on port 1: Open must fail at once (the connector
		// is lazy, so this proves Open sends a statement), and neither the
		// token nor a password in the URL may appear in what it says.
		const token = "s3cr3t-token-value"
		_, err := Open(ctx, "http://127.0.0.1:1", token)
		require.ErrorContains(t, err, "store: open database http://127.0.0.1:1: ")
		assert.NotContains(t, err.Error(), token)
		_, err = Open(ctx, "libsql://user:hunter2@127.0.0.1:1", token)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), token)
		assert.NotContains(t, err.Error(), "hunter2")
	})

	t.Run("BadURL", func(t *testing.T) {
		_, err := Open(ctx, "ftp://example.com/db", "")
		require.ErrorContains(t, err, "store: open database ftp://example.com/db")
	})
}

func TestFileDSN(t *testing.T) {
	for _, tc := range []struct{ path, query, want string }{
		{"a.db", "", "file:a.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"},
		{"a.db", "_journal=DELETE&_txlock=deferred", "file:a.db?_journal=DELETE&_txlock=deferred&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"},
		{"a.db", "_pragma=Synchronous%3DOFF&_timeout=1", "file:a.db?_pragma=Synchronous%3DOFF&_timeout=1&_pragma=journal_mode(WAL)&_txlock=immediate"},
	} {
		got, err := fileDSN(tc.path, tc.query)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "query %q", tc.query)
	}
}

func TestConcurrentWriters(t *testing.T) { eachBackend(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T, be backend) {
	// Two pools on one database stand for the server and a worker process:
	// each has its one connection, and only busy_timeout with BEGIN IMMEDIATE
	// (on a file) keeps their transactions from failing with SQLITE_BUSY.
	path := filepath.Join(t.TempDir(), "svgtrace.db")
	a := be.openDB(t, path, true)
	b := be.openDB(t, path, false)
	require.NoError(t, Migrate(context.Background(), b)) // a second migrator finds nothing to do

	const perWriter = 50
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2*perWriter)
	for w, db := range []*DB{a, b} {
		wg.Go(func() {
			for i := range perWriter {
				errs <- insertImage(ctx, db, fmt.Sprintf("w%d-%d", w, i))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var images, events int
	require.NoError(t, a.QueryRow(`SELECT count(*) FROM images`).Scan(&images))
	require.NoError(t, a.QueryRow(`SELECT count(*) FROM events`).Scan(&events))
	assert.Equal(t, 2*perWriter, images)
	assert.Equal(t, 2*perWriter, events)
}

// insertImage writes an image and its "queued" event in one transaction, the
// shape of an upload.
func insertImage(ctx context.Context, db *DB, id string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `INSERT INTO images
		(id, content_hash, options_key, mime, bytes, width, height, created_at, updated_at)
		VALUES (?, ?, '{}', 'image/png', 10, 1, 1, ?, ?)`,
		id, hashHex(id), now, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (image_id, type, payload, created_at)
		VALUES (?, 'queued', '{}', ?)`, id, now); err != nil {
		return err
	}
	return tx.Commit()
}

// hashHex stands in for an original's sha256.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
