package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNoReservation is returned by TakeReservation when the id names no
	// live reservation (never made, expired, or taken already).
	ErrNoReservation = errors.New("store: no such reservation")
	// ErrAlreadyTraced is returned by SaveClientTrace when the image is
	// traced already: the first result stored is the canonical one.
	ErrAlreadyTraced = errors.New("store: image already traced")
	// ErrWrongAssignment is returned by SaveClientTrace when the result
	// names another assignment than the image was uploaded under.
	ErrWrongAssignment = errors.New("store: not this image's assignment")
)

// Reservation is one row of reservations: an image id a client was given
// for an upload it announced, and who traces that image.
type Reservation struct {
	ImageID      string
	AssignmentID string
	ContentHash  string
	OptionsKey   string
	Tracer       string    // TracedByClient or TracedByServer
	Deadline     time.Time // the backend traces from then on, if no client result came
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

const reservationColumns = `image_id, assignment_id, content_hash, options_key, tracer, deadline, expires_at, created_at`

func scanReservation(r rowScanner) (Reservation, error) {
	var (
		res                          Reservation
		deadline, expires, createdAt int64
	)
	if err := r.Scan(&res.ImageID, &res.AssignmentID, &res.ContentHash, &res.OptionsKey, &res.Tracer,
		&deadline, &expires, &createdAt); err != nil {
		return Reservation{}, err
	}
	res.Deadline, res.ExpiresAt, res.CreatedAt = fromMillis(deadline), fromMillis(expires), fromMillis(createdAt)
	return res, nil
}

// Reserve records r (ImageID and AssignmentID filled in when empty, with
// NewImageID) unless the same bytes and options are an image already, or
// reserved already. It returns, in that order of precedence: the existing
// image (and a zero Reservation); the existing live reservation, with
// created false; or r as stored, with created true. Expired reservations of
// the same bytes and options are replaced.
func (db *DB) Reserve(ctx context.Context, r Reservation) (_ Reservation, created bool, existing *Image, err error) {
	if r.ImageID == "" {
		r.ImageID = NewImageID()
	}
	if r.AssignmentID == "" {
		r.AssignmentID = NewImageID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	err = db.inTx(ctx, "reserve image", func(tx *sql.Tx) error {
		// Write first: the transaction holds the write lock from here on,
		// also over a remote database (see beginLocked).
		if _, err := tx.ExecContext(ctx, `DELETE FROM reservations
			WHERE content_hash = ? AND options_key = ? AND expires_at < ?`,
			r.ContentHash, r.OptionsKey, r.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		img, err := scanImage(tx.QueryRowContext(ctx, `SELECT `+imageColumns+` FROM images
			WHERE content_hash = ? AND options_key = ?`, r.ContentHash, r.OptionsKey))
		if err == nil {
			existing = &img
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		got, err := scanReservation(tx.QueryRowContext(ctx, `INSERT INTO reservations (`+reservationColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (content_hash, options_key) DO NOTHING
			RETURNING `+reservationColumns,
			r.ImageID, r.AssignmentID, r.ContentHash, r.OptionsKey, r.Tracer,
			r.Deadline.UnixMilli(), r.ExpiresAt.UnixMilli(), r.CreatedAt.UnixMilli()))
		if err == nil {
			r, created = got, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r, err = scanReservation(tx.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations
			WHERE content_hash = ? AND options_key = ?`, r.ContentHash, r.OptionsKey))
		return err
	})
	if err != nil {
		return Reservation{}, false, nil, err
	}
	if existing != nil {
		return Reservation{}, false, existing, nil
	}
	return r, created, nil, nil
}

// TakeReservation deletes the live reservation of imageID through tx, the
// upload's transaction, and returns it; ErrNoReservation if there is none.
func TakeReservation(ctx context.Context, tx *sql.Tx, imageID string, now time.Time) (Reservation, error) {
	r, err := scanReservation(tx.QueryRowContext(ctx, `DELETE FROM reservations
		WHERE image_id = ? AND expires_at >= ? RETURNING `+reservationColumns, imageID, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return Reservation{}, fmt.Errorf("%w: %q", ErrNoReservation, imageID)
	}
	if err != nil {
		return Reservation{}, fmt.Errorf("store: take reservation %s: %w", imageID, err)
	}
	return r, nil
}

// GetReservation returns the live reservation of imageID, or
// ErrNoReservation.
func (db *DB) GetReservation(ctx context.Context, imageID string) (Reservation, error) {
	r, err := scanReservation(db.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE image_id = ? AND expires_at >= ?`, imageID, time.Now().UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return Reservation{}, fmt.Errorf("%w: %q", ErrNoReservation, imageID)
	}
	if err != nil {
		return Reservation{}, fmt.Errorf("store: get reservation %s: %w", imageID, err)
	}
	return r, nil
}

// ExpireReservations deletes the reservations past their expiry and
// returns how many.
func (db *DB) ExpireReservations(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM reservations WHERE expires_at < ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: expire reservations: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: expire reservations: %w", err)
	}
	return n, nil
}

// SaveClientTrace stores a trace made by a client (svg already sanitized
// and checked by the caller) as the image's placeholder, with traced_by
// 'client', and appends the traced event, whose payload is stats with "by":
// "client". assignmentID must be the image's assignment (ErrWrongAssignment
// otherwise); "" skips the check, for an offline upload that carries its own
// trace.
//
// The first result stored is canonical: an image traced already is left
// alone (ErrAlreadyTraced). Storing advances the image's attempt, so a
// backend trace of it still running is fenced off and writes nothing: the
// backend never stores a second result.
func (db *DB) SaveClientTrace(ctx context.Context, id, assignmentID, svg string, stats json.RawMessage) error {
	return db.inTx(ctx, "save client trace of image "+id, func(tx *sql.Tx) error {
		return SaveClientTraceTx(ctx, tx, id, assignmentID, svg, stats)
	})
}

// SaveClientTraceTx is SaveClientTrace in the caller's transaction.
func SaveClientTraceTx(ctx context.Context, tx *sql.Tx, id, assignmentID, svg string, stats json.RawMessage) error {
	if svg == "" {
		return fmt.Errorf("store: save client trace of image %s: empty SVG", id)
	}
	// Stats that are not a JSON object are dropped. JSON null unmarshals
	// as a nil map, hence the second check.
	var payload map[string]any
	if len(stats) > 0 {
		if err := json.Unmarshal(stats, &payload); err != nil {
			payload = nil
		}
	}
	if payload == nil {
		payload = map[string]any{}
	}
	payload["by"] = TracedByClient
	statsJSON, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: save client trace of image %s: %w", id, err)
	}
	now := time.Now().UnixMilli()
	res, err := tx.ExecContext(ctx, `UPDATE images SET status = 'traced', svg = ?, stats = ?, error = NULL,
			traced_at = ?, updated_at = ?, traced_by = 'client', attempt = attempt + 1
		WHERE id = ? AND status != 'traced' AND (? = '' OR assignment_id = ?)`,
		svg, string(statsJSON), now, now, id, assignmentID, assignmentID)
	if err != nil {
		return fmt.Errorf("store: save client trace of image %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: save client trace of image %s: %w", id, err)
	} else if n == 0 {
		var status, assigned string
		err := tx.QueryRowContext(ctx, `SELECT status, assignment_id FROM images WHERE id = ?`, id).Scan(&status, &assigned)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return fmt.Errorf("store: save client trace of image %s: %w", id, err)
		case status == StatusTraced:
			return fmt.Errorf("%w: image %s", ErrAlreadyTraced, id)
		default:
			return fmt.Errorf("%w: image %s", ErrWrongAssignment, id)
		}
	}
	_, err = AppendEvent(ctx, tx, id, EventTraced, json.RawMessage(statsJSON))
	return err
}
