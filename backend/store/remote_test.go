package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/internal/hranapeer"
)

// The store's remote path (libsql-client-go speaking Hrana over HTTP) is
// tested against hranapeer, a Hrana test peer on a real SQLite file, since
// no sqld can be installed here. Tests that hold for any libSQL database run
// once per backend; tests of the file: path (pragmas, DSNs, the query plan)
// stay file-only.
//
// URL scheme: the peer listens on plain HTTP, so the store reaches it as
// http://127.0.0.1:PORT. libsql://HOST means TLS to libsql-client-go
// (https://HOST) unless the connector is given WithTls(false), which Open
// does not pass, and ?tls=0 in the URL is refused; so libsql:// cannot reach
// a plaintext server through Open (TestOpenRemote pins that).

// remoteToken is the bearer token every remote backend requires, so the
// token path is exercised by every remote test.
const remoteToken = "store-test-token"

// backend opens databases of one kind by file path: the file itself, or a
// Hrana peer serving it.
type backend struct {
	name string
	open func(t *testing.T, path string) *DB
}

// backends are the kinds of database the shared tests run against.
var backends = []backend{
	{"File", func(t *testing.T, path string) *DB { return openFile(t, path, false) }},
	{"Remote", openRemote},
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// openDB opens a new pool on the database at path (created if need be),
// closed with the test, migrated if asked. Pools opened on one path share
// one database, as separate processes would.
func (b backend) openDB(t *testing.T, path string, migrate bool) *DB {
	t.Helper()
	db := b.open(t, path)
	if migrate {
		require.NoError(t, Migrate(context.Background(), db))
	}
	return db
}

// migrated opens a fresh migrated database.
func (b backend) migrated(t *testing.T) *DB {
	t.Helper()
	return b.openDB(t, filepath.Join(t.TempDir(), "svgtrace.db"), true)
}

// peerURLs maps a database path to the URL of the peer serving it while the
// test that started the peer runs, so every remote pool on one path talks to
// one peer.
var peerURLs sync.Map

// openRemote opens a pool through a Hrana peer on the file at path, starting
// the peer on first use. Its cleanup runs after the pools' (which are
// registered later), so pools close before their peer.
func openRemote(t *testing.T, path string) *DB {
	t.Helper()
	url, ok := peerURLs.Load(path)
	if !ok {
		u := hranapeer.Start(t, path, remoteToken)
		peerURLs.Store(path, u)
		t.Cleanup(func() { peerURLs.Delete(path) })
		url = u
	}
	db, err := Open(context.Background(), url.(string), remoteToken)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenRemote(t *testing.T) {
	ctx := context.Background()
	url := hranapeer.Start(t, filepath.Join(t.TempDir(), "svgtrace.db"), remoteToken)

	t.Run("HTTP", func(t *testing.T) {
		db, err := Open(ctx, url, remoteToken)
		require.NoError(t, err)
		defer db.Close()
		assert.False(t, db.Local())
		assert.Equal(t, 1, db.Stats().MaxOpenConnections)
	})

	t.Run("TokenChecked", func(t *testing.T) {
		// Open sends a statement, so a refused token fails Open itself, and
		// the token is not repeated in the error.
		const wrong = "not-the-token-at-all"
		_, err := Open(ctx, url, wrong)
		require.ErrorContains(t, err, "error code 401")
		assert.NotContains(t, err.Error(), wrong)
		_, err = Open(ctx, url, "")
		require.ErrorContains(t, err, "error code 401")
	})

	t.Run("LibsqlSchemeMeansTLS", func(t *testing.T) {
		// libsql://127.0.0.1:PORT becomes https://: a TLS handshake with
		// the plain-HTTP peer, which fails.
		_, err := Open(ctx, "libsql://"+url[len("http://"):], remoteToken)
		require.ErrorContains(t, err, "HTTP response to HTTPS client")
		assert.NotContains(t, err.Error(), remoteToken)
		_, err = Open(ctx, "libsql://"+url[len("http://"):]+"?tls=0", remoteToken)
		require.ErrorContains(t, err, "'tls' usage forbidden")
	})
}
