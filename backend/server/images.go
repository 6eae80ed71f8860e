package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
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

// maxPatchBytes bounds a PATCH body: its two text fields at maxFieldBytes
// each, as JSON may spell them (up to six bytes a byte: \u0000), and the
// keys. Longer is an over-long value whatever it holds.
const maxPatchBytes = 2*6*maxFieldBytes + 1<<10

// handlePatch changes an image's title and alt text: the fields given,
// each as bounded as at upload.
func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	title, alt, err := readPatch(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	img, err := s.updateText(r.Context(), id, title, alt)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no image %q", id))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(img, true))
}

// readPatch reads a PATCH body, {"title"?: string, "alt"?: string}: nil
// for a field not given. Anything else (other keys, null or other types,
// a value over maxFieldBytes, data after the object) is a 400.
func readPatch(w http.ResponseWriter, r *http.Request) (title, alt *string, err error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPatchBytes))
	if err != nil {
		var tooLong *http.MaxBytesError
		if errors.As(err, &tooLong) {
			return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "the body is over %d bytes: a value is over %d bytes", maxPatchBytes, maxFieldBytes)
		}
		return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "read the body: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, `the body must be a JSON object {"title"?: string, "alt"?: string}`)
	}
	// Sorted, so a body with two bad fields always names the same one.
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		var dst **string
		switch k {
		case "title":
			dst = &title
		case "alt":
			dst = &alt
		default:
			return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "unknown field %q (want title or alt)", k)
		}
		var v string
		// null is no string: a field is given as a string or left out.
		if raw := fields[k]; bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &v) != nil {
			return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "field %q must be a string", k)
		}
		if len(v) > maxFieldBytes {
			return nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "field %q is over %d bytes", k, maxFieldBytes)
		}
		*dst = &v
	}
	return title, alt, nil
}

// updateText changes the image's title and alt text (nil: unchanged) and,
// if that changed anything, appends its image.updated event in the same
// transaction: the event exists if and only if the change committed, and a
// PATCH that changes nothing announces nothing.
func (s *Server) updateText(ctx context.Context, id string, title, alt *string) (store.Image, error) {
	// A client hanging up must not cut the transaction short (store.Detach).
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.Image{}, err
	}
	defer tx.Rollback() // after Commit, a no-op; unchanged, there is nothing to commit
	img, changed, err := store.UpdateImageText(ctx, tx, id, title, alt)
	if err != nil || !changed {
		return img, err
	}
	if _, err := store.AppendEvent(ctx, tx, id, store.EventImageUpdated, imageEvent(img)); err != nil {
		return store.Image{}, err
	}
	if err := tx.Commit(); err != nil {
		return store.Image{}, fmt.Errorf("server: update text of image %s: %w", id, err)
	}
	return img, nil
}

// imageEvent is the payload of image.added and image.updated: the image as
// lists show it (the hub forwards it as the message's "image").
func imageEvent(img store.Image) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"image": toJSON(img, false)}) // imageJSON always marshals
	return b
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
