package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/store"
)

// ReservationTTL is how long a plan's reservation waits for its upload: a
// 25 MB original over a slow mobile link takes minutes, not ten.
const ReservationTTL = 10 * time.Minute

// planner answers the hub's plans and results with the server's
// reservations, load and checks.
type planner struct{ s *Server }

var _ hub.Planner = planner{}

// Plan reserves the upload's image id and decides who traces it.
func (p planner) Plan(ctx context.Context, caps hub.Capabilities, m *hub.Plan) (*hub.Assign, error) {
	s := p.s
	opts, key, err := s.options(m.Options)
	if err != nil {
		return nil, codedFrom(err)
	}
	if m.Bytes > s.cfg.MaxUploadBytes {
		return nil, &hub.CodedError{Code: CodeTooLarge, Err: fmt.Errorf("%d bytes is over the upload limit of %d", m.Bytes, s.cfg.MaxUploadBytes)}
	}
	// Each side first: two sides over the limit could multiply past int64
	// and wrap to a small or negative count.
	pixels := int64(m.Width) * int64(m.Height)
	if int64(m.Width) > opts.MaxPixels || int64(m.Height) > opts.MaxPixels || pixels > opts.MaxPixels { // the server's limit, or the options' if lower: what the upload will check
		return nil, &hub.CodedError{Code: CodeTooManyPix, Err: fmt.Errorf("%d×%d pixels is over the limit of %d", m.Width, m.Height, opts.MaxPixels)}
	}
	load, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	d := hub.Decide(hub.PlanInput{Caps: caps, Bytes: m.Bytes, Pixels: pixels, Load: load}, s.cfg.Policy)
	now := time.Now()
	r, _, existing, err := s.db.Reserve(ctx, store.Reservation{
		ContentHash: m.ContentHash, OptionsKey: key, Tracer: d.Tracer,
		Deadline: now.Add(d.Deadline), ExpiresAt: now.Add(ReservationTTL), CreatedAt: now,
	})
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return &hub.Assign{ImageID: existing.ID, Tracer: hub.TracerServer, Options: json.RawMessage(key),
			Existing: true, Status: existing.Status}, nil
	}
	a := &hub.Assign{ImageID: r.ImageID, AssignmentID: r.AssignmentID, Tracer: r.Tracer, Options: json.RawMessage(key)}
	if r.Tracer == hub.TracerClient && !caps.Wasm {
		// Another client's plan of the same bytes made this reservation
		// for a client trace; this one cannot trace, so it only uploads
		// (the deadline covers the image either way).
		a.Tracer, a.AssignmentID = hub.TracerServer, ""
	}
	if a.Tracer == hub.TracerClient {
		dl := r.Deadline.UTC()
		a.Deadline = &dl
	}
	s.log.Debug("plan", "image", r.ImageID, "tracer", r.Tracer, "reason", d.Reason)
	return a, nil
}

// Result checks a client's trace and stores it; a refused trace has its
// image traced by the backend at once instead of at the deadline.
func (p planner) Result(ctx context.Context, m *hub.Result) error {
	s := p.s
	img, err := s.db.GetImage(ctx, m.ImageID)
	if errors.Is(err, store.ErrNotFound) {
		if _, rerr := s.db.GetReservation(ctx, m.ImageID); rerr == nil {
			return &hub.CodedError{Code: "not_uploaded", Err: errors.New("upload the image first, then send its result")}
		}
		return &hub.CodedError{Code: "unknown_image", Err: errors.New("no such image")}
	}
	if err != nil {
		return err
	}
	if img.AssignmentID == "" || img.AssignmentID != m.AssignmentID {
		return &hub.CodedError{Code: "wrong_assignment", Err: errors.New("not this image's assignment")}
	}
	if img.Status == store.StatusTraced {
		return &hub.CodedError{Code: "already_traced", Err: errors.New("the image is traced already; the first result stands")}
	}
	opts, _, err := s.options([]byte(img.OptionsKey))
	if err != nil {
		return err
	}
	f, err := s.dir.Open(img.ContentHash)
	if err != nil {
		return err
	}
	defer f.Close()
	ct, err := s.checkClientSVG(ctx, []byte(m.SVG), f, opts)
	if err != nil {
		if rerr := s.traceNow(ctx, img.ID); rerr != nil {
			s.log.Warn("could not bring the backend trace forward", "image", img.ID, "err", rerr)
		}
		return err
	}
	err = s.db.SaveClientTrace(ctx, img.ID, m.AssignmentID, ct.svg, m.Stats)
	switch {
	case errors.Is(err, store.ErrAlreadyTraced):
		return &hub.CodedError{Code: "already_traced", Err: err}
	case errors.Is(err, store.ErrWrongAssignment):
		return &hub.CodedError{Code: "wrong_assignment", Err: err}
	}
	return err
}

// traceNow makes the image's scheduled trace job run now: its client's
// result was refused, so waiting for the deadline gains nothing.
func (s *Server) traceNow(ctx context.Context, imageID string) error {
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `UPDATE river_job SET scheduled_at = ?, state = 'available'
		WHERE state = 'scheduled' AND kind = ? AND json_extract(args, '$.image_id') = ?`,
		queue.RiverTime(time.Now()), queue.TraceArgs{}.Kind(), imageID)
	return err
}

// load is the backend's state for Decide.
func (s *Server) load(ctx context.Context) (hub.Load, error) {
	ws, err := s.db.LiveWorkers(ctx, queue.Lease)
	if err != nil {
		return hub.Load{}, err
	}
	var depth int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job
		WHERE kind = ? AND state IN ('available', 'running', 'retryable')`, queue.TraceArgs{}.Kind()).Scan(&depth); err != nil {
		return hub.Load{}, fmt.Errorf("queue depth: %w", err)
	}
	return hub.Load{LiveWorkers: len(ws), QueueDepth: depth, RecentTrace: s.metrics.recentTrace()}, nil
}

// codedFrom turns an API error into a hub error with the same code.
func codedFrom(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return &hub.CodedError{Code: ae.code, Err: ae}
	}
	return err
}
