package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tursodatabase/libsql-client-go/libsql"

	// libsql-client-go hands file: URLs to whichever driver is registered as
	// "sqlite" or "sqlite3"; modernc's is pure Go, so the binary needs no cgo.
	_ "modernc.org/sqlite"
)

// DB is an open libSQL database: a local file or a remote libsql:// or
// https:// server. The embedded *sql.DB is safe for concurrent use and is the
// pool River's driver takes (riversqlite.New(db.DB)).
type DB struct {
	*sql.DB
	local bool
}

// TxTimeout bounds a transaction once it has begun, in place of its
// caller's context (see Detach). It is well above busy_timeout (10 s), so
// only a database that stopped answering runs into it.
const TxTimeout = 30 * time.Second

// Detach returns a context for a transaction about to begin: ctx's values
// without its cancellation, bounded by TxTimeout instead. A transaction must
// not be cancelled midway on a remote database: libsql-client-go gives the
// request's context to the HTTP call, so a cancelled request is abandoned,
// while the server still finishes (or interrupts) it and keeps the stream,
// open transaction and all, under a new baton the client never receives.
// The client's ROLLBACK and close carry the old baton and are refused
// (STREAM_EXPIRED), so the transaction, and SQLite's write lock if it took
// it, lives until the stream expires, and every writer on the database
// stalls meanwhile. (Found by backend/queue's TestWorkersShareDatabase/Remote: a sweep
// cancelled as its caller stopped stalled River's completer and fetches past
// their 10 s timeouts, for the peer's 30 s stream TTL.)
func Detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), TxTimeout)
}

// Local reports whether the database is a file: database on this machine.
func (db *DB) Local() bool { return db.local }

// Close closes the pool. River clients using it must be stopped first.
func (db *DB) Close() error {
	if err := db.DB.Close(); err != nil {
		return fmt.Errorf("store: close database: %w", err)
	}
	return nil
}

// Connection tuning for file: databases, added to the URL unless it already
// sets the same thing (in any of the spellings modernc.org/sqlite accepts).
// Each is needed for several processes (server and workers) to share one file.
var filePragmas = []struct {
	keys   []string // query keys that already set it
	pragma string   // the _pragma name that sets it
	param  string   // what to add when unset
}{
	// Wait up to 10 s for another process's write lock instead of failing at
	// once with SQLITE_BUSY. A trace job's completion transaction is a few
	// small writes, so 10 s is far beyond any real wait, yet short enough
	// that a wedged writer surfaces as an error rather than a hang.
	{[]string{"_busy_timeout", "_timeout"}, "busy_timeout", "_pragma=busy_timeout(10000)"},
	// Write-ahead log: readers never block the writer nor it them, which the
	// API needs while workers commit results.
	{[]string{"_journal_mode", "_journal"}, "journal_mode", "_pragma=journal_mode(WAL)"},
	// In WAL mode NORMAL loses at most the last transactions on power loss
	// (never corrupts) and saves an fsync per commit; a lost trace result is
	// re-run because its job is lost with it.
	{[]string{"_synchronous", "_sync"}, "synchronous", "_pragma=synchronous(NORMAL)"},
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, where
	// busy_timeout can wait for it. A deferred transaction that reads and then
	// writes would instead fail with SQLITE_BUSY at its first write, which no
	// timeout can help.
	{[]string{"_txlock"}, "", "_txlock=immediate"},
}

// Open opens the database at rawURL and checks that it is reachable.
//
// For file:PATH it creates PATH's directory, adds the pragmas above unless the
// URL sets them, and opens the file (creating it) in WAL mode. For libsql://,
// https:// and the other remote schemes libsql-client-go supports, authToken
// (which may be empty for an unauthenticated server) is sent with each
// request; it never appears in errors.
//
// The pool holds a single connection, as River's SQLite driver requires: one
// connection per process serialises this process's transactions, and
// busy_timeout with immediate transactions serialises processes.
func Open(ctx context.Context, rawURL, authToken string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the whole URL, which could hold a
		// password; say only that it did not parse.
		return nil, errors.New("store: open database: malformed URL")
	}
	shown := u.Redacted()

	dsn := rawURL
	var opts []libsql.Option
	local := u.Scheme == "file"
	if local {
		path, query, _ := strings.Cut(strings.TrimPrefix(rawURL, "file:"), "?")
		dsn, err = fileDSN(path, query)
		if err != nil {
			return nil, fmt.Errorf("store: open database %s: %w", shown, err)
		}
		if dir := fileDir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("store: open database %s: %w", shown, err)
			}
		}
	} else if authToken != "" {
		// WithAuthToken rejects an empty token, so pass it only when set.
		opts = append(opts, libsql.WithAuthToken(authToken))
	}

	conn, err := libsql.NewConnector(dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: open database %s: %w", shown, err)
	}
	// sql.OpenDB, not sql.Open("libsql", ...): the latter leaks a goroutine
	// per physical connection in this version of libsql-client-go.
	sdb := sql.OpenDB(conn)
	sdb.SetMaxOpenConns(1)
	// A query, not Ping: the remote connectors connect lazily and Ping
	// succeeds without a request, so only a statement proves the server
	// answers and accepts the token. For a file it opens the file and
	// applies the pragmas.
	var one int
	if err := sdb.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: open database %s: %w", shown, err)
	}
	return &DB{DB: sdb, local: local}, nil
}

// fileDSN returns the file: URL for path with query plus every pragma of
// filePragmas that query does not set already.
func fileDSN(path, query string) (string, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("parse query: %w", err)
	}
	params := []string{}
	if query != "" {
		params = append(params, query)
	}
	for _, p := range filePragmas {
		if !setsPragma(q, p.keys, p.pragma) {
			params = append(params, p.param)
		}
	}
	return "file:" + path + "?" + strings.Join(params, "&"), nil
}

// setsPragma reports whether q has one of keys, or a _pragma=name(...) or
// _pragma=name=... entry.
func setsPragma(q url.Values, keys []string, name string) bool {
	for _, k := range keys {
		if q.Has(k) {
			return true
		}
	}
	if name == "" {
		return false
	}
	for _, v := range q["_pragma"] {
		v = strings.ToLower(strings.TrimSpace(v))
		if rest, ok := strings.CutPrefix(v, name); ok {
			rest = strings.TrimSpace(rest)
			if strings.HasPrefix(rest, "(") || strings.HasPrefix(rest, "=") {
				return true
			}
		}
	}
	return false
}

// fileDir returns the directory to create for a file: URL's path, or "" for an
// in-memory database or one in the current directory.
func fileDir(path string) string {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, ":memory:") {
		return ""
	}
	// file:///abs/path is file: plus //, an empty authority, and /abs/path.
	if rest, ok := strings.CutPrefix(path, "//"); ok {
		path = rest
	}
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	dir := filepath.Dir(filepath.FromSlash(path))
	if dir == "." {
		return ""
	}
	return dir
}
