// Package store opens svgtrace's libSQL database and keeps its schema: our
// tables (images, events) and River's job queue tables, in one database so an
// image row and its trace job commit in one transaction.
//
// The database is reached through github.com/tursodatabase/libsql-client-go:
// a local file: URL goes to the pure-Go modernc.org/sqlite driver, a
// libsql:// or https:// URL to a Turso or sqld server over HTTP. The same code
// serves both; only Open looks at the scheme.
//
// # Guarantees
//
// Concurrency. On a file: database Open adds busy_timeout, WAL and immediate
// transactions unless the URL sets them, and limits the pool to one
// connection. With those, any number of processes (server and workers) may
// open the same file and write to it; a writer waits for the lock rather than
// failing with SQLITE_BUSY.
//
// Crash safety. Each migration runs in its own transaction together with its
// row in schema_migrations, so after a crash the schema is at a whole version
// and Migrate resumes from there. Migrate is idempotent and may run in several
// processes at once: each transaction re-reads, under the write lock, which
// versions are applied.
//
// Reversibility. Every migration has a down; MigrateDown(ctx, db, 0) removes
// every table Migrate created, River's included, leaving only an empty
// schema_migrations (and SQLite's internal sqlite_sequence). Up, down and up
// again is tested.
//
// Order. River's migrations run before ours and are removed after ours, so
// our migrations may build on River's tables.
//
// Events. events.id is AUTOINCREMENT: ids grow with commit order and are never
// reused, so a client may resume "after id N" without missing or repeating
// an event.
//
// Idempotent uploads. UNIQUE(content_hash, options_key) on images makes the
// same bytes with the same trace options one image, however many uploads race.
package store
