package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew is returned by Migrate when the database has a migration
// applied that this binary does not know: a newer version migrated it, and
// running older code against that schema could lose data.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this program")

// migration is one numbered schema change with its reversal.
type migration struct {
	version int
	name    string
	up      string
	down    string
}

// loadMigrations reads NNNN_name.up.sql / NNNN_name.down.sql pairs from the
// migrations directory of fsys. Versions must run 1, 2, 3, ... without gaps,
// each with both files, so that down is always possible.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		name := e.Name()
		base, dir, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), ".")
		if !ok || !strings.HasSuffix(name, ".sql") || (dir != "up" && dir != "down") {
			return nil, fmt.Errorf("store: migration file %s: want NNNN_name.up.sql or NNNN_name.down.sql", name)
		}
		num, label, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %s: bad version", name)
		}
		body, err := fs.ReadFile(fsys, path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: label}
			byVersion[v] = m
		} else if m.name != label {
			return nil, fmt.Errorf("store: migration %d has two names, %q and %q", v, m.name, label)
		}
		if dir == "up" {
			m.up = string(body)
		} else {
			m.down = string(body)
		}
	}
	ms := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		ms = append(ms, *m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %d missing", i+1)
		}
		if strings.TrimSpace(m.up) == "" || strings.TrimSpace(m.down) == "" {
			return nil, fmt.Errorf("store: migration %d: need both up and down", m.version)
		}
	}
	return ms, nil
}

// migrations returns this program's migrations, checked.
func migrations() ([]migration, error) { return loadMigrations(migrationFiles) }

// LatestVersion is the schema version this program migrates to (0 only if
// the embedded migrations were malformed, which TestLoadMigrations rules out).
func LatestVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY NOT NULL,
	applied_at INTEGER NOT NULL -- unix milliseconds
) STRICT`

// Migrate brings the database to the latest schema: River's migrations first,
// then ours, each of ours in its own transaction with its schema_migrations
// row, so a crash leaves the schema at a whole version. It is idempotent and
// safe to run from several processes at once on a file: database (each
// transaction takes the write lock, then re-reads what is applied).
//
// River goes first so that our migrations may refer to River's tables (a view
// over river_job for queue depth, say); MigrateDown reverses the order.
func Migrate(ctx context.Context, db *DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	// Refuse a newer schema before touching anything, River's included.
	applied, err := appliedVersions(ctx, db.DB)
	if err != nil {
		return err
	}
	if len(applied) > 0 && applied[len(applied)-1] > len(ms) {
		return fmt.Errorf("%w: database at %d, program at %d", ErrSchemaTooNew, applied[len(applied)-1], len(ms))
	}
	if err := migrateRiver(ctx, db, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	for _, m := range ms {
		if err := runMigration(ctx, db, m, true); err != nil {
			return fmt.Errorf("store: migrate %d: %w", m.version, err)
		}
	}
	return nil
}

// MigrateDown reverses our migrations above toVersion, newest first, each in
// its own transaction. At toVersion 0 it then removes River's schema too,
// after ours because ours may depend on it. Nothing may be using the
// database meanwhile: no River client, no server, no worker.
func MigrateDown(ctx context.Context, db *DB, toVersion int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if toVersion < 0 || toVersion > len(ms) {
		return fmt.Errorf("store: migrate down to %d: want 0 to %d", toVersion, len(ms))
	}
	if _, err := db.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for i := len(ms) - 1; i >= toVersion; i-- {
		if err := runMigration(ctx, db, ms[i], false); err != nil {
			return fmt.Errorf("store: migrate down %d: %w", ms[i].version, err)
		}
	}
	if toVersion == 0 {
		// -1 is rivermigrate's "every down migration".
		return migrateRiver(ctx, db, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1})
	}
	return nil
}

// SchemaVersion returns the highest of our migrations applied, 0 if none.
// Readiness checks compare it with LatestVersion.
func SchemaVersion(ctx context.Context, db *DB) (int, error) {
	if _, err := db.ExecContext(ctx, createSchemaMigrations); err != nil {
		return 0, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	vs, err := appliedVersions(ctx, db.DB)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	return vs[len(vs)-1], nil
}

// runMigration applies m up or down in one transaction, unless it already is
// (up) or is not (down) applied. The transaction holds the write lock from
// its start (beginLocked), so the check and the change happen under it and a
// concurrent migrator waits, then finds the work done.
func runMigration(ctx context.Context, db *DB, m migration, up bool) (err error) {
	tx, err := beginLocked(ctx, db)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if (n > 0) == up {
		return tx.Rollback()
	}
	if up {
		if _, err := tx.ExecContext(ctx, m.up); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, time.Now().UnixMilli()); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, m.down); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = ?`, m.version); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// appliedVersions returns the applied versions, ascending.
func appliedVersions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: read schema_migrations: %w", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	return vs, nil
}

// migrateRiver runs River's own migrations (tables river_job, river_leader,
// river_queue, river_client, river_migration, ...) in direction, all in one
// transaction of ours. rivermigrate.Migrate reads the applied versions outside
// the transactions it applies them in, so two processes migrating an empty
// file at once both try to create river_job and one fails; inside a BEGIN
// IMMEDIATE transaction the second waits for the lock and then finds River's
// schema current. It also makes River's part all-or-nothing.
func migrateRiver(ctx context.Context, db *DB, dir rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (err error) {
	m, err := rivermigrate.New(riversqlite.New(db.DB), &rivermigrate.Config{Logger: slog.Default()})
	if err != nil {
		return fmt.Errorf("store: river migrator: %w", err)
	}
	tx, err := beginLocked(ctx, db)
	if err != nil {
		return fmt.Errorf("store: migrate river %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := m.MigrateTx(ctx, tx, dir, opts); err != nil {
		return fmt.Errorf("store: migrate river %s: %w", dir, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate river %s: %w", dir, err)
	}
	return nil
}

// beginLocked begins a transaction that holds the write lock from its start,
// for the migrations, which read what is applied before they write. On a
// file: database BeginTx is BEGIN IMMEDIATE (_txlock=immediate). Over
// libsql-client-go it is a plain BEGIN, which takes the lock only at the first
// write; a transaction that has read by then fails at once with SQLITE_BUSY
// if another writer holds the lock, and busy_timeout does not apply to that
// upgrade. So on a remote database a write that changes nothing comes first:
// as a transaction's first statement it waits for the lock like BEGIN
// IMMEDIATE. (Found by TestMigrate/Remote/ConcurrentMigrators.)
func beginLocked(ctx context.Context, db *DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil || db.local {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET version = version WHERE 0`); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}
