package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// upload is one file of a POST /api/images, staged and checked.
type upload struct {
	name   string // the client's file name, for messages only
	staged *originals.Staged
	mime   string
	cfg    imageio.Config // the header, as DecodeConfig read it: the displayed size
	// reservedID is the image id a hub plan reserved for this file ("" for
	// none: a plain upload).
	reservedID string
	// clientSVG is the client's own trace, rebuilt and checked ("" for
	// none); clientTrace says what became of a trace the client attached.
	clientSVG   string
	clientTrace string
}

// maxOpIDLen bounds a client operation id: a UUID is 36 bytes.
const maxOpIDLen = 128

// mimeTypes maps a sniffed format to the Content-Type the original is
// served with.
var mimeTypes = map[imageio.Format]string{
	imageio.JPEG: "image/jpeg",
	imageio.PNG:  "image/png",
	imageio.GIF:  "image/gif",
	imageio.WebP: "image/webp",
	imageio.BMP:  "image/bmp",
	imageio.PBM:  "image/x-portable-bitmap",
	imageio.PGM:  "image/x-portable-graymap",
	imageio.PPM:  "image/x-portable-pixmap",
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	f := &form{}
	defer func() {
		for _, u := range f.ups {
			u.staged.Discard() // after Commit, a no-op
		}
	}()
	reject := func(err error) {
		s.metrics.uploads.WithLabelValues("rejected").Inc()
		s.writeError(w, r, err)
	}
	if err := s.readUpload(r, f); err != nil {
		reject(err)
		return
	}
	opts, key, err := s.options(f.opts)
	if err != nil {
		reject(err)
		return
	}
	for i, u := range f.ups {
		if int64(u.cfg.Width)*int64(u.cfg.Height) > opts.MaxPixels {
			reject(errorf(http.StatusUnprocessableEntity, CodeTooManyPix,
				"%s: %d×%d pixels is over the limit of %d", u.name, u.cfg.Width, u.cfg.Height, opts.MaxPixels))
			return
		}
		if err := s.checkDecodeMemory(u, opts); err != nil {
			reject(err)
			return
		}
		if i < len(f.ids) {
			u.reservedID = f.ids[i]
		}
		if i < len(f.svgs) && f.svgs[i] != "" {
			// A trace the client made (offline, or attached instead of
			// sent over /ws): rebuilt and checked; refused, the server
			// traces instead and the answer says why.
			ct, err := s.checkClientSVG(r.Context(), []byte(f.svgs[i]), u.staged.Reader(), opts)
			if err != nil {
				var ce *hub.CodedError
				if !errors.As(err, &ce) {
					s.writeError(w, r, err)
					return
				}
				u.clientTrace = "rejected: " + ce.Error()
			} else {
				u.clientSVG = ct.svg
				u.clientTrace = "accepted"
			}
		}
	}
	imgs, created, err := s.store(r.Context(), f, key)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			reject(err)
			return
		}
		s.writeError(w, r, err)
		return
	}
	out := struct {
		OpID   string      `json:"opId,omitempty"`
		Images []imageJSON `json:"images"`
	}{OpID: f.opID}
	for i, img := range imgs {
		j := toJSON(img, false)
		c := created[i]
		j.Created = &c
		j.ClientTrace = f.ups[i].clientTrace
		out.Images = append(out.Images, j)
		if c {
			s.metrics.uploads.WithLabelValues("created").Inc()
		} else {
			s.metrics.uploads.WithLabelValues("existing").Inc()
		}
	}
	writeJSON(w, http.StatusAccepted, out)
}

// form is what an upload's multipart body holds.
type form struct {
	ups          []*upload
	titles, alts []string // the i-th for the i-th file
	opts         []byte   // options JSON, for every file
	ids          []string // image ids reserved by the hub's plans, the i-th for the i-th file
	svgs         []string // the client's traces, the i-th for the i-th file ("" for none)
	opID         string   // the client's operation id, echoed
}

// readUpload reads the multipart body: files (field "file", repeatable) are
// staged and checked as they arrive, so a bad file stops the request at its
// first bytes; the text fields are read with their bounds: "title", "alt",
// "id" and "svg" (repeatable, the i-th for the i-th file), "options" (JSON,
// for every file) and "opId" (once).
func (s *Server) readUpload(r *http.Request, f *form) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return errorf(http.StatusBadRequest, CodeBadRequest,
			"the body must be multipart/form-data with one or more \"file\" fields: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.bodyError(err)
		}
		field := part.FormName()
		if field == "file" {
			if len(f.ups) == MaxFilesPerUpload {
				return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge,
					"more than %d files in one upload", MaxFilesPerUpload)
			}
			u, err := s.stage(part)
			if u != nil {
				f.ups = append(f.ups, u)
			}
			if err != nil {
				return err
			}
			continue
		}
		limit := maxFieldBytes
		if field == "svg" {
			limit = clientsvg.DefaultMaxBytes
		}
		v, err := readField(part, limit)
		if err != nil {
			return err
		}
		switch field {
		case "title":
			f.titles = append(f.titles, v)
		case "alt":
			f.alts = append(f.alts, v)
		case "id":
			f.ids = append(f.ids, v)
		case "svg":
			f.svgs = append(f.svgs, v)
		case "options", "opId":
			dst := &f.opts
			if field == "opId" {
				if f.opID != "" || len(v) > maxOpIDLen {
					return errorf(http.StatusBadRequest, CodeBadRequest, "opId given twice or over %d bytes", maxOpIDLen)
				}
				f.opID = v
				continue
			}
			if *dst != nil {
				return errorf(http.StatusBadRequest, CodeBadRequest, "options given twice")
			}
			*dst = []byte(v)
		default:
			return errorf(http.StatusBadRequest, CodeBadRequest,
				"unknown field %q (want file, title, alt, options, id, svg or opId)", field)
		}
		// Text is held in memory: bound it as it arrives. Past
		// MaxFilesPerUpload there are bound to be more of a per-file field
		// than files, the 400 below, so answer it now rather than after
		// reading an endless body.
		if max(len(f.titles), len(f.alts), len(f.ids), len(f.svgs)) > MaxFilesPerUpload {
			return errorf(http.StatusBadRequest, CodeBadRequest,
				"more than %d titles, alt texts, ids or SVGs in one upload", MaxFilesPerUpload)
		}
	}
	if len(f.ups) == 0 {
		return errorf(http.StatusBadRequest, CodeBadRequest, "no \"file\" field in the upload")
	}
	if len(f.titles) > len(f.ups) || len(f.alts) > len(f.ups) || len(f.ids) > len(f.ups) || len(f.svgs) > len(f.ups) {
		return errorf(http.StatusBadRequest, CodeBadRequest,
			"%d titles, %d alt texts, %d ids and %d SVGs for %d files", len(f.titles), len(f.alts), len(f.ids), len(f.svgs), len(f.ups))
	}
	return nil
}

// bodyError reports a failure to read the request body: a client that went
// away or sent a malformed multipart stream.
func (s *Server) bodyError(err error) error {
	return errorf(http.StatusBadRequest, CodeBadRequest, "malformed multipart body: %v", err)
}

// readField reads a text field of at most limit bytes.
func readField(p *multipart.Part, limit int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, int64(limit)+1))
	if err != nil {
		return "", errorf(http.StatusBadRequest, CodeBadRequest, "field %q: %v", p.FormName(), err)
	}
	if len(b) > limit {
		return "", errorf(http.StatusBadRequest, CodeBadRequest, "field %q is over %d bytes", p.FormName(), limit)
	}
	return string(b), nil
}

// stage copies one file part to a temporary file and checks it: its size,
// its format from its bytes (neither the name nor the part's Content-Type
// counts) and its dimensions from its header. The returned upload, if any,
// must be discarded by the caller, also when err is not nil.
func (s *Server) stage(p *multipart.Part) (*upload, error) {
	name := p.FileName()
	if name == "" {
		name = "file"
	}
	// The name is for messages only: never a path, and bounded.
	if len(name) > 200 {
		name = name[:200] + "…"
	}
	name = fmt.Sprintf("%q", name)
	st, err := s.dir.Stage(p, s.cfg.MaxUploadBytes)
	if err != nil {
		if errors.Is(err, originals.ErrTooLarge) {
			return nil, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge,
				"%s is over the upload limit of %d bytes", name, s.cfg.MaxUploadBytes)
		}
		if errors.Is(err, originals.ErrRead) {
			return nil, s.bodyError(err)
		}
		return nil, err
	}
	u := &upload{name: name, staged: st}
	if st.Size == 0 {
		return u, errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, "%s is empty", name)
	}
	cfg, err := imageio.DecodeConfig(st.Reader())
	if err != nil {
		if errors.Is(err, tracecore.ErrCorrupt) && st.Size < imageio.SniffLen {
			// Too short to be any image: not an image rather than a broken one.
			return u, errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, "%s is not an image (%d bytes)", name, st.Size)
		}
		if ae := classify(name, err); ae != nil {
			return u, ae
		}
		return u, fmt.Errorf("read header of %s: %w", name, err)
	}
	u.mime = mimeTypes[cfg.Format]
	u.cfg = cfg
	return u, nil
}

// checkDecodeMemory refuses an upload whose decode for a trace of
// opts.MaxSide would hold more than MaxDecodeBytes (imageio.EstimateDecode).
// Only a JPEG can need more than 8 bytes a pixel, so only a JPEG that
// could exceed the budget at the worst rate has its header read again.
func (s *Server) checkDecodeMemory(u *upload, opts tracecore.Options) error {
	px := int64(u.cfg.Width) * int64(u.cfg.Height)
	if u.cfg.Format != imageio.JPEG || px*imageio.WorstBytesPerPixel <= s.cfg.MaxDecodeBytes {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(u.staged.Reader(), maxEstimateHead))
	if err != nil {
		return fmt.Errorf("read header of %s: %w", u.name, err)
	}
	cost := imageio.EstimateDecode(head, u.cfg, opts.MaxSide)
	if limit := cost.PixelsWithin(s.cfg.MaxDecodeBytes); px > limit {
		return errorf(http.StatusUnprocessableEntity, CodeTooManyPix,
			"%s: %d×%d is %d pixels, over the %d admitted for it: decoded %s it needs %.3g bytes a pixel, and a decode may hold %d bytes (--max-decode-bytes)",
			u.name, u.cfg.Width, u.cfg.Height, px, limit, cost.ScaleName(), cost.BytesPerPixel, s.cfg.MaxDecodeBytes)
	}
	return nil
}

// options returns the trace options for the upload: the placeholder preset
// with the fields raw sets (tracecore.Options' JSON names) over it, and
// their canonical JSON, the image's options key: every field, keys sorted,
// so equal options are equal text. MaxPixels is the server's limit unless
// raw asks for less.
func (s *Server) options(raw []byte) (tracecore.Options, string, error) {
	base := tracecore.PlaceholderOptions()
	base.MaxPixels = s.cfg.MaxPixels
	merged := map[string]any{}
	b, _ := json.Marshal(base) // Options always marshals
	json.Unmarshal(b, &merged)
	if len(bytes.TrimSpace(raw)) > 0 {
		var over map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&over); err != nil || over == nil {
			return tracecore.Options{}, "", errorf(http.StatusBadRequest, CodeBadOptions,
				"options must be a JSON object of trace options (tracecore's JSON names)")
		}
		for k, v := range over {
			merged[k] = v
		}
	}
	b, _ = json.Marshal(merged)
	var o tracecore.Options
	if err := json.Unmarshal(b, &o); err != nil { // validates, rejects unknown names
		return tracecore.Options{}, "", errorf(http.StatusBadRequest, CodeBadOptions, "%v", err)
	}
	if o.MaxPixels > s.cfg.MaxPixels || o.MaxPixels <= 0 {
		return tracecore.Options{}, "", errorf(http.StatusBadRequest, CodeBadOptions,
			"maxpixels must be 1 to %d, the server's limit", s.cfg.MaxPixels)
	}
	// Canonical: Options → JSON → map (sorted keys when marshalled again).
	b, _ = json.Marshal(o)
	canon := map[string]any{}
	json.Unmarshal(b, &canon)
	key, _ := json.Marshal(canon)
	return o, string(key), nil
}

// store moves the originals into place and inserts the images, their jobs
// and their image.added events in one transaction. An image that exists
// already (same bytes, same options) is returned with created false and gets
// no second job. A file uploaded under a hub reservation takes it (its id,
// and for a client assignment a job scheduled at the deadline); one with an
// accepted client trace is stored traced, with no job.
func (s *Server) store(ctx context.Context, f *form, key string) ([]store.Image, []bool, error) {
	// A client hanging up must not cut the transaction short (store.Detach).
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	now := time.Now()
	imgs := make([]store.Image, len(f.ups))
	created := make([]bool, len(f.ups))
	var moved []string // originals this transaction moved into place
	fail := func(err error) ([]store.Image, []bool, error) {
		tx.Rollback()
		s.dropOrphans(moved)
		return nil, nil, err
	}
	for i, u := range f.ups {
		img := store.Image{ContentHash: u.staged.Hash, OptionsKey: key, MIME: u.mime,
			Bytes: u.staged.Size, Width: u.cfg.Width, Height: u.cfg.Height}
		var runAt time.Time // the zero time: trace now
		if u.reservedID != "" {
			res, err := store.TakeReservation(ctx, tx, u.reservedID, now)
			if errors.Is(err, store.ErrNoReservation) {
				return fail(errorf(http.StatusConflict, CodeNoReservation,
					"%s: no live reservation %q (expired or used): plan again", u.name, u.reservedID))
			}
			if err != nil {
				return fail(err)
			}
			if res.ContentHash != u.staged.Hash || res.OptionsKey != key {
				return fail(errorf(http.StatusConflict, CodeNoReservation,
					"%s: reservation %q was made for other bytes or options", u.name, u.reservedID))
			}
			img.ID = res.ImageID
			if res.Tracer == store.TracedByClient {
				img.AssignmentID = res.AssignmentID
				// The backend waits for the client's result until the
				// deadline, unless the client attached its trace here
				// already: accepted, there is no job; refused, nothing
				// more will come, so the backend traces now.
				if u.clientTrace == "" {
					runAt = res.Deadline
				}
			}
		}
		if i < len(f.titles) {
			img.Title = f.titles[i]
		}
		if i < len(f.alts) {
			img.Alt = f.alts[i]
		}
		// Inside the transaction, under the write lock: a delete of the
		// last image using the same bytes cannot remove the file between
		// this rename and the commit.
		existed := s.dir.Exists(u.staged.Hash)
		if err := u.staged.Commit(); err != nil {
			return fail(err)
		}
		if !existed {
			moved = append(moved, u.staged.Hash)
		}
		imgs[i], created[i], err = s.db.InsertImage(ctx, tx, img)
		if err != nil {
			return fail(err)
		}
		id := imgs[i].ID
		if created[i] {
			if _, err := store.AppendEvent(ctx, tx, id, store.EventImageAdded, imageEvent(imgs[i])); err != nil {
				return fail(err)
			}
		}
		if u.clientSVG != "" && imgs[i].Status != store.StatusTraced {
			err := store.SaveClientTraceTx(ctx, tx, id, "", u.clientSVG, nil)
			if err != nil && !errors.Is(err, store.ErrAlreadyTraced) {
				return fail(err)
			}
			// Traced by its client: a job would find nothing to do.
		} else if created[i] {
			if _, err := queue.Enqueue(ctx, s.cfg.Queue, tx, id, runAt); err != nil {
				return fail(err)
			}
		}
		// Read back: a client trace may have changed it.
		if imgs[i], err = store.GetImageTx(ctx, tx, id); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		s.dropOrphans(moved)
		return nil, nil, err
	}
	return imgs, created, nil
}

// dropOrphans removes originals a failed upload moved into place, unless a
// committed image uses them (another upload of the same bytes), checking
// under the write lock.
func (s *Server) dropOrphans(hashes []string) {
	if len(hashes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.log.Error("orphan originals left", "hashes", hashes, "err", err)
		return
	}
	defer tx.Rollback()
	for _, h := range hashes {
		if n, err := store.ImagesUsing(ctx, tx, h); err == nil && n == 0 {
			s.dir.Remove(h)
		}
	}
}
