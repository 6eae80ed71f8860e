package queue

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/internal/hranapeer"
)

// The queue's tests that hold for any libSQL database run once per backend:
// a file: database, and the remote path (libsql-client-go speaking Hrana over
// HTTP) against hranapeer serving a real SQLite file, as the store's tests do
// (backend/store/remote_test.go). On either backend each pool stands for one
// process: the test's, each worker's, an uploader's.

// remoteToken is the bearer token the remote backend requires.
const remoteToken = "queue-test-token"

// backend serves the database file at a path to pools of one kind.
type backend struct {
	name string
	// serve prepares the database at path for pools (the remote backend
	// starts a peer on it for the rest of the test) and returns how to open
	// a pool on it.
	serve func(t *testing.T, path string) (open func(t *testing.T) *store.DB)
}

// backends are the kinds of database the shared tests run against.
var backends = []backend{
	{"File", func(t *testing.T, path string) func(t *testing.T) *store.DB {
		return func(t *testing.T) *store.DB { return openPool(t, "file:"+path, "") }
	}},
	{"Remote", func(t *testing.T, path string) func(t *testing.T) *store.DB {
		url := hranapeer.Start(t, path, remoteToken)
		return func(t *testing.T) *store.DB { return openPool(t, url, remoteToken) }
	}},
}

// eachBackend runs fn as a subtest per backend, with a fresh migrated
// database and originals directory.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b)) })
	}
}

// openPool opens a pool closed with the test. Cleanups run last-in first-out,
// so a pool closes before the peer it talks to (started earlier) and after
// the workers using it (started later).
func openPool(t *testing.T, url, token string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, token)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// dbPath is where a test's database file lives.
func dbPath(root string) string { return filepath.Join(root, "svgtrace.db") }
