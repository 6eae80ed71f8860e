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
// reused, so a client may resume "after id N" (EventsAfter) without missing or
// repeating an event. Commit order holds because SQLite has one writer at a
// time and each of our transactions takes the write lock at BEGIN. Every
// change this package makes appends its event in the same transaction
// (DeleteImage: image.deleted, SaveTrace: traced, FailTrace: failed), so an
// event exists if and only if its change committed; AppendEvent takes the
// caller's transaction for the same reason. The server appends image.added
// (InsertImage) and image.updated (UpdateImageText) itself, in the
// transaction of the change, because their payload is the image as its API
// shows it.
//
// Idempotent uploads. UNIQUE(content_hash, options_key) on images makes the
// same bytes with the same trace options one image, however many uploads race.
// InsertImage lets the constraint decide (INSERT ... ON CONFLICT DO NOTHING)
// and returns the existing row with created false instead of an error, so the
// caller answers with the existing record and enqueues no second job. It
// takes the caller's *sql.Tx, so the image and its River job commit together.
//
// Fenced results. River has no fencing token, and a worker whose claim
// expired keeps running while the rescued job runs again elsewhere. Each run
// takes the next number from images.attempt (ClaimAttempt, atomic), and
// SaveTrace and FailTrace write only while that number is still the image's
// current attempt, returning ErrStaleAttempt otherwise: the older run can
// never overwrite the newer result. The check and the write are one UPDATE,
// in the transaction that also appends the event (and, with SaveTraceTx, may
// complete the River job).
package store
