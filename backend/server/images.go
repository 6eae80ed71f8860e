package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/store"
)

// imageJSON is an image as the API shows it (docs/api.md).
type imageJSON struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Title       string          `json:"title"`
	Alt         string          `json:"alt"`
	MIME        string          `json:"mime"`
	Bytes       int64           `json:"bytes"`
	Width       int             `json:"width"`
	Height      int             `json:"height"`
	ContentHash string          `json:"contentHash"`
	Options     json.RawMessage `json:"options"`
	Error       string          `json:"error,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	TracedAt    *time.Time      `json:"tracedAt,omitempty"`
	Original    string          `json:"original"`
	Placeholder string          `json:"placeholder,omitempty"`
	Stats       json.RawMessage `json:"stats,omitempty"`
	SVG         string          `json:"svg,omitempty"`
	// Created is set in upload answers only: false when the same bytes with
	// the same options were uploaded before and this is that image.
	Created *bool `json:"created,omitempty"`
	// ClientTrace is set in upload answers for a file sent with the
	// client's own trace: "accepted", or "rejected: reason" (the server
	// traces it instead).
	ClientTrace string `json:"clientTrace,omitempty"`
	// TracedBy is "client" or "server" once traced.
	TracedBy string `json:"tracedBy,omitempty"`
}

// toJSON shows img; withSVG adds the placeholder's markup (single-image
// answers; lists link to it instead).
func toJSON(img store.Image, withSVG bool) imageJSON {
	j := imageJSON{
		ID: img.ID, Status: img.Status, Title: img.Title, Alt: img.Alt, MIME: img.MIME,
		Bytes: img.Bytes, Width: img.Width, Height: img.Height, ContentHash: img.ContentHash,
		Options: json.RawMessage(img.OptionsKey), Error: img.Error, CreatedAt: img.CreatedAt,
		Original: "/api/images/" + img.ID + "/original",
	}
	if img.Status == store.StatusTraced {
		t := img.TracedAt
		j.TracedAt = &t
		j.Placeholder = "/api/images/" + img.ID + "/placeholder.svg"
		j.TracedBy = img.TracedBy
		if img.Stats != "" {
			j.Stats = json.RawMessage(img.Stats)
		}
		if withSVG {
			j.SVG = img.SVG
		}
	}
	return j
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := DefaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxListLimit {
			s.writeError(w, r, errorf(http.StatusBadRequest, CodeBadRequest, "limit must be 1 to %d", store.MaxListLimit))
			return
		}
		limit = n
	}
	cursor, err := store.ParseCursor(q.Get("cursor"))
	if err != nil {
		s.writeError(w, r, errorf(http.StatusBadRequest, CodeBadRequest, "malformed cursor"))
		return
	}
	imgs, next, err := s.db.ListImages(r.Context(), cursor, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Images []imageJSON `json:"images"`
		Next   string      `json:"next,omitempty"`
	}{Images: make([]imageJSON, 0, len(imgs)), Next: next.String()}
	for _, img := range imgs {
		out.Images = append(out.Images, toJSON(img, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// image loads the image named by the path, answering 404 itself.
func (s *Server) image(w http.ResponseWriter, r *http.Request) (store.Image, bool) {
	id := r.PathValue("id")
	img, err := s.db.GetImage(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no image %q", id))
		return store.Image{}, false
	}
	if err != nil {
		s.writeError(w, r, err)
		return store.Image{}, false
	}
	return img, true
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	if img, ok := s.image(w, r); ok {
		writeJSON(w, http.StatusOK, toJSON(img, true))
	}
}

// immutable is the cache policy of an image's original and placeholder: an
// image ID's bytes never change (a new upload is a new ID).
const immutable = "public, max-age=31536000, immutable"

func (s *Server) handleOriginal(w http.ResponseWriter, r *http.Request) {
	img, ok := s.image(w, r)
	if !ok {
		return
	}
	f, err := s.dir.Open(img.ContentHash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", img.MIME) // sniffed at upload, never the client's
	h.Set("ETag", `"`+img.ContentHash+`"`)
	h.Set("Cache-Control", immutable)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers Range, If-Range and If-None-Match.
	http.ServeContent(w, r, "", img.CreatedAt, f)
}

func (s *Server) handlePlaceholder(w http.ResponseWriter, r *http.Request) {
	img, ok := s.image(w, r)
	if !ok {
		return
	}
	if img.Status != store.StatusTraced {
		msg := "image " + img.ID + " is not traced yet"
		if img.Status == store.StatusFailed {
			msg = "image " + img.ID + " failed to trace: " + img.Error
		}
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotTraced, "%s", msg))
		return
	}
	sum := sha256.Sum256([]byte(img.SVG))
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	h.Set("Cache-Control", immutable)
	// The SVG is ours (tracecore's canonical form), but a placeholder URL
	// opened directly must never run anything even so.
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", img.TracedAt, strings.NewReader(img.SVG))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.deleteImage(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no image %q", id))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteImage deletes the image and, if no other image uses its original,
// the original: moved aside inside the transaction (which holds the write
// lock, so no upload of the same bytes is in between), purged after commit,
// put back if the commit fails.
func (s *Server) deleteImage(ctx context.Context, id string) error {
	// A client hanging up must not cut the transaction short (store.Detach).
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	hash, remaining, err := store.DeleteImageTx(ctx, tx, id)
	if err != nil {
		return err
	}
	var trashed *originals.Trashed // nil: nothing to remove
	if remaining == 0 {
		if trashed, err = s.dir.Trash(hash); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		trashed.Restore()
		return err
	}
	trashed.Purge()
	return nil
}
