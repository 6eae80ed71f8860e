// Package hranapeer is a test peer for the remote (libsql://, https://,
// http://) path of the store package: a small HTTP server that speaks the
// Hrana-over-HTTP wire protocol of libSQL's sqld, backed by a real SQLite
// file through modernc.org/sqlite. It is not a production server: it exists
// so that tests exercise what github.com/tursodatabase/libsql-client-go
// actually sends, instead of assuming it.
//
// # Protocol
//
// The pinned client speaks Hrana 2 over HTTP and nothing else: every request
// is POST {url}/v2/pipeline with a JSON body {"baton", "requests"}; it never
// probes versions. Its requests are "execute" (one statement, positional or
// named arguments), "batch" (a multi-statement string, each step conditioned
// on the previous one being "ok", then a ROLLBACK step conditioned on "not ok"
// of the last) and "close" (sent asynchronously when database/sql resets or
// closes a connection). The peer also answers "sequence", "store_sql" and
// "close_sql" and the "/v3/pipeline" path with the same JSON, and GET /v2 and
// /v3 as version probes, since other Hrana clients use them. "describe" and
// "get_autocommit" are answered with a NOT_SUPPORTED error.
//
// Values follow the Hrana encoding: integers are JSON strings, floats JSON
// numbers, blobs unpadded base64, text strings, null {"type":"null"}.
//
// # Guarantees
//
//   - A stream is one dedicated SQLite connection, opened fresh for the
//     stream and closed with it, so BEGIN ... COMMIT spans requests exactly as
//     on sqld, and session state (PRAGMAs, temporary tables) never carries
//     from one stream to the next. Requests on one stream run one at a time.
//   - Every response of an open stream carries a new baton; only the latest
//     one is accepted. A closed stream's response carries a null baton.
//   - A stream idle for longer than its TTL (30 s by default) is closed and
//     its open transaction rolled back. At most MaxStreams (64 by default)
//     are open; beyond that a new stream is refused with HTTP 503.
//   - The backing file is opened in WAL mode with busy_timeout(10000), so
//     several streams, several peers and direct users of the file can share
//     it; writers wait for one another instead of failing at once.
//   - With a token configured, a request without "Authorization: Bearer
//     <token>" is refused with HTTP 401 before anything runs.
//   - SQL errors come back as Hrana error objects {"message", "code"} with
//     SQLite's primary result code name (SQLITE_CONSTRAINT, SQLITE_BUSY, ...)
//     as the code; a failed statement leaves the stream open.
//
// # Known differences from sqld
//
// modernc.org/sqlite turns TEXT values of columns declared DATE, DATETIME or
// TIMESTAMP into time.Time; the peer sends them back as text in the layout
// libsql-client-go itself writes ("2006-01-02 15:04:05.999999999-07:00"),
// which the client parses into the same instant, though the text differs
// from what was stored. An "execute" holding several statements runs them
// all, where the specification allows one; the pinned client never sends
// more than one. Replication
// indexes and base_url are never sent.
package hranapeer
