package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event types this package appends itself. Callers append others (queued,
// tracecore's stage names, stored) with AppendEvent.
const (
	EventTraced       = "traced"
	EventFailed       = "failed"
	EventImageDeleted = "image.deleted"
	// EventImageAdded is appended by the uploader, in the transaction that
	// inserts the image.
	EventImageAdded = "image.added"
	// EventImageUpdated is appended by the server, in the transaction that
	// changes an image's title or alt text (UpdateImageText), only when
	// something changed.
	EventImageUpdated = "image.updated"
)

// MaxEventsLimit caps EventsAfter's batch size.
const MaxEventsLimit = 1000

// Event is one row of events: something that happened to an image, in
// commit order.
type Event struct {
	ID        int64 // grows with commit order, never reused
	ImageID   string
	Type      string
	Payload   json.RawMessage // a JSON value, {} when there is none
	CreatedAt time.Time       // to the millisecond, UTC
}

// AppendEvent appends an event for imageID through q, normally the
// transaction that makes the change it announces, so the event exists if and
// only if the change committed. payload is marshalled to JSON; nil becomes
// {}, and a json.RawMessage is stored as it is (after validation).
func AppendEvent(ctx context.Context, q Querier, imageID, typ string, payload any) (Event, error) {
	if typ == "" {
		return Event{}, fmt.Errorf("store: append event for image %s: empty type", imageID)
	}
	raw := json.RawMessage("{}")
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return Event{}, fmt.Errorf("store: append %s event for image %s: %w", typ, imageID, err)
		}
		raw = b
	}
	ev := Event{ImageID: imageID, Type: typ, Payload: raw}
	var created int64
	if err := q.QueryRowContext(ctx, `INSERT INTO events (image_id, type, payload, created_at)
		VALUES (?, ?, ?, ?) RETURNING id, created_at`,
		imageID, typ, string(raw), time.Now().UnixMilli()).Scan(&ev.ID, &created); err != nil {
		return Event{}, fmt.Errorf("store: append %s event for image %s: %w", typ, imageID, err)
	}
	ev.CreatedAt = fromMillis(created)
	return ev, nil
}

// EventsAfter returns up to limit events with an ID above afterID, in
// ascending ID order: commit order, since SQLite has one writer at a time and
// AUTOINCREMENT never reuses an ID. A client that has seen event N resumes
// with EventsAfter(N) and neither misses nor repeats one; afterID 0 starts
// from the first.
func (db *DB) EventsAfter(ctx context.Context, afterID int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > MaxEventsLimit {
		return nil, fmt.Errorf("store: events after %d: limit %d not in 1..%d", afterID, limit, MaxEventsLimit)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, image_id, type, payload, created_at FROM events
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events after %d: %w", afterID, err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var (
			ev      Event
			payload string
			created int64
		)
		if err := rows.Scan(&ev.ID, &ev.ImageID, &ev.Type, &payload, &created); err != nil {
			return nil, fmt.Errorf("store: events after %d: %w", afterID, err)
		}
		ev.Payload = json.RawMessage(payload)
		ev.CreatedAt = fromMillis(created)
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events after %d: %w", afterID, err)
	}
	return evs, nil
}
