package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned when the image asked for does not exist.
var ErrNotFound = errors.New("store: image not found")

// ErrStaleAttempt is returned by SaveTrace and FailTrace when another attempt
// has claimed the image since the caller's: the caller's result is discarded
// and the newer attempt's (or its pending) result stands.
var ErrStaleAttempt = errors.New("store: stale trace attempt")

// Image statuses, as stored in images.status.
const (
	StatusQueued = "queued"
	StatusTraced = "traced"
	StatusFailed = "failed"
)

// Who traced an image, as stored in images.traced_by.
const (
	TracedByClient = "client"
	TracedByServer = "server"
)

// MaxListLimit caps ListImages' page size, so one request cannot read the
// whole table.
const MaxListLimit = 1000

// Querier is what *sql.DB and *sql.Tx have in common. Functions taking one
// can run inside the caller's transaction, so an image row and its River job
// (riversqlite's InsertTx on the same *sql.Tx) commit together.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ Querier = (*sql.DB)(nil)
	_ Querier = (*sql.Tx)(nil)
)

// Image is one row of images. Times are stored as Unix milliseconds, so they
// come back truncated to the millisecond, in UTC; TracedAt is zero until the
// image is traced.
type Image struct {
	ID          string
	ContentHash string // sha256 of the original, lower-case hex
	OptionsKey  string // canonical JSON of the trace options
	Title       string
	Alt         string
	MIME        string
	Bytes       int64
	Width       int
	Height      int
	Status      string // StatusQueued, StatusTraced or StatusFailed
	Error       string // why the trace failed; "" unless Status is StatusFailed
	SVG         string // the placeholder; "" until traced
	Stats       string // JSON statistics of the stored trace; "" until traced
	// AssignmentID is the client assignment the image was uploaded under
	// ("" when no client was asked to trace it).
	AssignmentID string
	// TracedBy is TracedByClient or TracedByServer once traced, else "".
	TracedBy  string
	Attempt   int64 // the current trace attempt (see ClaimAttempt); 0 before the first
	CreatedAt time.Time
	UpdatedAt time.Time
	TracedAt  time.Time
}

// idEncoding is lower-case RFC 4648 base32 without padding.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewImageID returns a new random image ID: 128 bits from crypto/rand as 26
// characters of lower-case base32. It appears in URLs and must not reveal
// upload order or count, hence random rather than a sequence or a time-based
// ID; 128 bits make it unguessable and collisions negligible. Lower-case
// base32 needs no escaping in URLs or file names and survives
// case-insensitive file systems, which base64url does not.
func NewImageID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return idEncoding.EncodeToString(b[:])
}

// imageColumns lists images' columns in the order scanImage reads them.
const imageColumns = `id, content_hash, options_key, title, alt, mime, bytes, width, height,
	status, error, svg, attempt, created_at, updated_at, traced_at, stats, assignment_id, traced_by`

type rowScanner interface{ Scan(dest ...any) error }

func scanImage(r rowScanner) (Image, error) {
	var (
		img              Image
		errText, svg     sql.NullString
		stats            sql.NullString
		created, updated int64
		traced           sql.NullInt64
	)
	if err := r.Scan(&img.ID, &img.ContentHash, &img.OptionsKey, &img.Title, &img.Alt, &img.MIME,
		&img.Bytes, &img.Width, &img.Height, &img.Status, &errText, &svg, &img.Attempt,
		&created, &updated, &traced, &stats, &img.AssignmentID, &img.TracedBy); err != nil {
		return Image{}, err
	}
	img.Error = errText.String
	img.SVG = svg.String
	img.Stats = stats.String
	img.CreatedAt = fromMillis(created)
	img.UpdatedAt = fromMillis(updated)
	if traced.Valid {
		img.TracedAt = fromMillis(traced.Int64)
	}
	return img, nil
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullIfEmpty stores "" as NULL, which the schema uses for "not yet".
func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// InsertImage inserts img through q and returns the row as stored, with
// created true. If an image with the same ContentHash and OptionsKey exists
// already, it inserts nothing and returns that image with created false and
// no error: the same bytes with the same options are one image, and the
// caller answers with the existing record (and must not enqueue a second
// job).
//
// Pass the *sql.Tx that will also insert the image's River job, so both
// commit or neither does; *sql.DB works too. Either way the answer is right
// under concurrency: the conflict is decided by the UNIQUE constraint inside
// SQLite's single writer, never by a read-then-write in Go.
//
// An empty ID is filled in with NewImageID, an empty Status with
// StatusQueued, a zero CreatedAt with the current time and a zero UpdatedAt
// with CreatedAt. Attempt, Error, SVG and TracedAt are stored as given
// (normally zero).
func (db *DB) InsertImage(ctx context.Context, q Querier, img Image) (_ Image, created bool, err error) {
	if q == nil {
		q = db.DB
	}
	if img.ID == "" {
		img.ID = NewImageID()
	}
	if img.Status == "" {
		img.Status = StatusQueued
	}
	if img.CreatedAt.IsZero() {
		img.CreatedAt = time.Now()
	}
	if img.UpdatedAt.IsZero() {
		img.UpdatedAt = img.CreatedAt
	}
	var traced sql.NullInt64
	if !img.TracedAt.IsZero() {
		traced = sql.NullInt64{Int64: img.TracedAt.UnixMilli(), Valid: true}
	}
	// DO NOTHING with RETURNING returns no row on a conflict; any other
	// constraint (a bad hash, a duplicate ID) is still an error.
	row := q.QueryRowContext(ctx, `INSERT INTO images (`+imageColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (content_hash, options_key) DO NOTHING
		RETURNING `+imageColumns,
		img.ID, img.ContentHash, img.OptionsKey, img.Title, img.Alt, img.MIME, img.Bytes,
		img.Width, img.Height, img.Status, nullIfEmpty(img.Error), nullIfEmpty(img.SVG),
		img.Attempt, img.CreatedAt.UnixMilli(), img.UpdatedAt.UnixMilli(), traced, nullIfEmpty(img.Stats),
		img.AssignmentID, img.TracedBy)
	got, err := scanImage(row)
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Image{}, false, fmt.Errorf("store: insert image: %w", err)
	}
	// Inside a transaction this read sees the conflicting row for certain: the
	// INSERT holds the write lock. Through a bare *sql.DB the row may have been
	// deleted in between, which ErrNotFound reports.
	got, err = scanImage(q.QueryRowContext(ctx, `SELECT `+imageColumns+` FROM images
		WHERE content_hash = ? AND options_key = ?`, img.ContentHash, img.OptionsKey))
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, false, fmt.Errorf("store: insert image: existing image deleted meanwhile: %w", ErrNotFound)
	}
	if err != nil {
		return Image{}, false, fmt.Errorf("store: insert image: read existing: %w", err)
	}
	return got, false, nil
}

// GetImageTx is GetImage through q, e.g. inside a transaction.
func GetImageTx(ctx context.Context, q Querier, id string) (Image, error) {
	img, err := scanImage(q.QueryRowContext(ctx, `SELECT `+imageColumns+` FROM images WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, ErrNotFound
	}
	if err != nil {
		return Image{}, fmt.Errorf("store: get image %s: %w", id, err)
	}
	return img, nil
}

// GetImage returns the image with id, or ErrNotFound.
func (db *DB) GetImage(ctx context.Context, id string) (Image, error) {
	return GetImageTx(ctx, db, id)
}

// Cursor marks a position in the newest-first list of images: the
// (CreatedAt, ID) of the last image of the previous page. The zero Cursor is
// the start of the list, and ListImages returns the zero Cursor after the
// last page.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether c is the start (or, as a next cursor, the end).
func (c Cursor) IsZero() bool { return c.ID == "" && c.CreatedAt.IsZero() }

// String encodes c for a URL query: milliseconds, a dot, the ID. "" for the
// zero Cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%s", c.CreatedAt.UnixMilli(), c.ID)
}

// ParseCursor decodes what Cursor.String returns; "" is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ms, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	// Only the canonical form, so one position has one spelling.
	if !ok || id == "" || err != nil || strconv.FormatInt(n, 10) != ms {
		return Cursor{}, fmt.Errorf("store: malformed cursor %q", s)
	}
	return Cursor{CreatedAt: fromMillis(n), ID: id}, nil
}

// ListImages returns up to limit images, newest first, after the cursor
// (the zero Cursor for the first page), and the cursor of the next page, or
// the zero Cursor if there is none. It seeks the images_newest index on
// (created_at, id) rather than using OFFSET, so every page costs the same and
// an upload or delete between pages neither repeats nor skips an image; ID
// orders images created in the same millisecond.
func (db *DB) ListImages(ctx context.Context, after Cursor, limit int) ([]Image, Cursor, error) {
	if limit <= 0 || limit > MaxListLimit {
		return nil, Cursor{}, fmt.Errorf("store: list images: limit %d not in 1..%d", limit, MaxListLimit)
	}
	// One row more than asked says whether there is a next page, so a caller
	// never fetches an empty one.
	var (
		rows *sql.Rows
		err  error
	)
	if after.IsZero() {
		rows, err = db.QueryContext(ctx, `SELECT `+imageColumns+` FROM images
			ORDER BY created_at DESC, id DESC LIMIT ?`, limit+1)
	} else {
		rows, err = db.QueryContext(ctx, `SELECT `+imageColumns+` FROM images
			WHERE (created_at, id) < (?, ?)
			ORDER BY created_at DESC, id DESC LIMIT ?`, after.CreatedAt.UnixMilli(), after.ID, limit+1)
	}
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("store: list images: %w", err)
	}
	defer rows.Close()
	imgs := make([]Image, 0, limit+1)
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, Cursor{}, fmt.Errorf("store: list images: %w", err)
		}
		imgs = append(imgs, img)
	}
	if err := rows.Err(); err != nil {
		return nil, Cursor{}, fmt.Errorf("store: list images: %w", err)
	}
	var next Cursor
	if len(imgs) > limit {
		imgs = imgs[:limit]
		last := imgs[limit-1]
		next = Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return imgs, next, nil
}

// UpdateImageText sets the image's title and alt text where title or alt
// is not nil, through q, and returns the image as stored and whether it
// changed. Values equal to the stored ones change nothing: no row is
// written, so the caller appends no event. The comparison is part of the
// UPDATE, decided under the database's write lock, never a read-then-write
// in Go. It returns ErrNotFound if there is no such image.
//
// The caller appends the EventImageUpdated event, with the image as the API
// shows it, in the same transaction (q must then be that *sql.Tx), as the
// uploader does for EventImageAdded.
func UpdateImageText(ctx context.Context, q Querier, id string, title, alt *string) (_ Image, changed bool, err error) {
	// NULL for a field not given: coalesce keeps the stored value.
	var t, a sql.NullString
	if title != nil {
		t = sql.NullString{String: *title, Valid: true}
	}
	if alt != nil {
		a = sql.NullString{String: *alt, Valid: true}
	}
	img, err := scanImage(q.QueryRowContext(ctx, `UPDATE images
		SET title = coalesce(?, title), alt = coalesce(?, alt), updated_at = ?
		WHERE id = ? AND (title IS NOT coalesce(?, title) OR alt IS NOT coalesce(?, alt))
		RETURNING `+imageColumns, t, a, time.Now().UnixMilli(), id, t, a))
	if err == nil {
		return img, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Image{}, false, fmt.Errorf("store: update text of image %s: %w", id, err)
	}
	// No row: absent, or nothing to change.
	img, err = GetImageTx(ctx, q, id)
	if err != nil {
		return Image{}, false, err
	}
	return img, false, nil
}

// DeleteImage deletes the image with id and, in the same transaction,
// appends an EventImageDeleted event, so subscribers learn of every delete
// and of no delete that did not happen. It returns ErrNotFound if there is
// no such image. The original's file is the caller's to remove (see
// DeleteImageTx).
func (db *DB) DeleteImage(ctx context.Context, id string) error {
	return db.inTx(ctx, "delete image "+id, func(tx *sql.Tx) error {
		_, _, err := DeleteImageTx(ctx, tx, id)
		return err
	})
}

// DeleteImageTx is DeleteImage inside the caller's transaction. It returns
// the deleted image's content hash and how many images still use the same
// original, so the caller can remove the original, inside the same
// transaction, when none does.
func DeleteImageTx(ctx context.Context, tx *sql.Tx, id string) (hash string, remaining int, err error) {
	err = tx.QueryRowContext(ctx, `DELETE FROM images WHERE id = ? RETURNING content_hash`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("store: delete image %s: %w", id, err)
	}
	if _, err := AppendEvent(ctx, tx, id, EventImageDeleted, nil); err != nil {
		return "", 0, err
	}
	remaining, err = ImagesUsing(ctx, tx, hash)
	if err != nil {
		return "", 0, err
	}
	return hash, remaining, nil
}

// ImagesUsing returns how many images use the original with hash.
func ImagesUsing(ctx context.Context, q Querier, hash string) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM images WHERE content_hash = ?`, hash).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: images using %s: %w", hash, err)
	}
	return n, nil
}

// ClaimAttempt starts a new trace attempt for the image with id: it
// increments images.attempt and returns the new value, atomically, so two
// claims never get the same number. A worker calls it when it starts working
// the image's job and passes the number to SaveTrace or FailTrace; any
// earlier attempt still running is fenced off from then on. It returns
// ErrNotFound if the image is gone (deleted while queued).
func (db *DB) ClaimAttempt(ctx context.Context, id string) (int64, error) {
	var attempt int64
	err := db.QueryRowContext(ctx, `UPDATE images SET attempt = attempt + 1, updated_at = ?
		WHERE id = ? RETURNING attempt`, time.Now().UnixMilli(), id).Scan(&attempt)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: claim attempt for image %s: %w", id, err)
	}
	return attempt, nil
}

// SaveTrace stores svg as the image's placeholder and stats (the trace's
// statistics, marshalled to JSON; nil for none) as its statistics, sets
// status traced, clears the error, sets traced_at to now and appends an
// EventTraced event whose payload is the same stats ({} for nil), all in one
// transaction, only if attempt is still the image's current
// attempt. Otherwise it changes nothing and returns ErrStaleAttempt (or
// ErrNotFound if the image is gone): a worker whose claim expired and whose
// job another attempt took over cannot overwrite that attempt's result.
func (db *DB) SaveTrace(ctx context.Context, id string, attempt int64, svg string, stats any) error {
	return db.inTx(ctx, "save trace of image "+id, func(tx *sql.Tx) error {
		return SaveTraceTx(ctx, tx, id, attempt, svg, stats)
	})
}

// SaveTraceTx is SaveTrace inside the caller's transaction, for a worker that
// also completes its River job in it (JobCompleteTx), so the result and the
// job's completion commit together. The fence holds until tx commits: on a
// file: database the transaction holds the write lock from its start
// (BEGIN IMMEDIATE), so no claim can come in between.
func SaveTraceTx(ctx context.Context, tx *sql.Tx, id string, attempt int64, svg string, stats any) error {
	if svg == "" {
		return fmt.Errorf("store: save trace of image %s: empty SVG", id)
	}
	var statsJSON sql.NullString
	if stats != nil {
		b, err := json.Marshal(stats)
		if err != nil {
			return fmt.Errorf("store: save trace of image %s: stats: %w", id, err)
		}
		statsJSON = sql.NullString{String: string(b), Valid: true}
		stats = json.RawMessage(b)
	}
	now := time.Now().UnixMilli()
	return fenced(ctx, tx, id, attempt, EventTraced, stats,
		`UPDATE images SET status = 'traced', svg = ?, stats = ?, error = NULL, traced_at = ?, updated_at = ?,
			traced_by = 'server'
		WHERE id = ? AND attempt = ?`, svg, statsJSON, now, now, id, attempt)
}

// FailTrace marks the image failed with reason (shown by the API) and
// appends an EventFailed event whose payload is {"error": reason}, in one
// transaction, under the same fence as SaveTrace. A previous SVG is kept: a
// failed re-trace does not take away a placeholder already served.
func (db *DB) FailTrace(ctx context.Context, id string, attempt int64, reason string) error {
	return db.inTx(ctx, "fail trace of image "+id, func(tx *sql.Tx) error {
		return FailTraceTx(ctx, tx, id, attempt, reason)
	})
}

// FailTraceTx is FailTrace inside the caller's transaction (see SaveTraceTx).
func FailTraceTx(ctx context.Context, tx *sql.Tx, id string, attempt int64, reason string) error {
	if reason == "" {
		reason = "trace failed"
	}
	return fenced(ctx, tx, id, attempt, EventFailed, map[string]string{"error": reason},
		`UPDATE images SET status = 'failed', error = ?, updated_at = ?
		WHERE id = ? AND attempt = ?`, reason, time.Now().UnixMilli(), id, attempt)
}

// fenced runs update, which must end in "WHERE id = ? AND attempt = ?", and
// appends the event if it changed a row. A change of zero rows is
// ErrStaleAttempt if the image exists and ErrNotFound if not.
func fenced(ctx context.Context, tx *sql.Tx, id string, attempt int64, event string, payload any, update string, args ...any) error {
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return fmt.Errorf("store: %s image %s: %w", event, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s image %s: %w", event, id, err)
	}
	if n == 0 {
		var current int64
		err := tx.QueryRowContext(ctx, `SELECT attempt FROM images WHERE id = ?`, id).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: %s image %s: %w", event, id, err)
		}
		return fmt.Errorf("%w: image %s attempt %d, current %d", ErrStaleAttempt, id, attempt, current)
	}
	if _, err := AppendEvent(ctx, tx, id, event, payload); err != nil {
		return err
	}
	return nil
}

// inTx runs fn in a transaction, committing if it returns nil. Once begun,
// the transaction is not cancelled with ctx (see Detach). Errors of
// this package (ErrNotFound, ErrStaleAttempt, wrapped "store: ..." errors)
// come back as they are, others wrapped with what.
func (db *DB) inTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	ctx, cancel := Detach(ctx)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if strings.HasPrefix(err.Error(), "store: ") {
			return err
		}
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}
