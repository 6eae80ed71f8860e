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
	width  int
	height int
}

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
	var ups []*upload
	defer func() {
		for _, u := range ups {
			u.staged.Discard() // after Commit, a no-op
		}
	}()
	ups, titles, alts, rawOpts, err := s.readUpload(r)
	if err != nil {
		s.metrics.uploads.WithLabelValues("rejected").Inc()
		s.writeError(w, r, err)
		return
	}
	opts, key, err := s.options(rawOpts)
	if err != nil {
		s.metrics.uploads.WithLabelValues("rejected").Inc()
		s.writeError(w, r, err)
		return
	}
	for _, u := range ups {
		if int64(u.width)*int64(u.height) > opts.MaxPixels {
			s.metrics.uploads.WithLabelValues("rejected").Inc()
			s.writeError(w, r, errorf(http.StatusUnprocessableEntity, CodeTooManyPix,
				"%s: %d×%d pixels is over the limit of %d", u.name, u.width, u.height, opts.MaxPixels))
			return
		}
	}
	imgs, created, err := s.store(r.Context(), ups, titles, alts, key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Images []imageJSON `json:"images"`
	}{}
	for i, img := range imgs {
		j := toJSON(img, false)
		c := created[i]
		j.Created = &c
		out.Images = append(out.Images, j)
		if c {
			s.metrics.uploads.WithLabelValues("created").Inc()
		} else {
			s.metrics.uploads.WithLabelValues("existing").Inc()
		}
	}
	writeJSON(w, http.StatusAccepted, out)
}

// readUpload reads the multipart body: files (field "file", repeatable) are
// staged and checked as they arrive, so a bad file stops the request at its
// first bytes; "title" and "alt" (repeatable, the i-th for the i-th file)
// and "options" (JSON, for every file) are read as text.
func (s *Server) readUpload(r *http.Request) (ups []*upload, titles, alts []string, opts []byte, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest,
			"the body must be multipart/form-data with one or more \"file\" fields: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ups, nil, nil, nil, s.bodyError(err)
		}
		switch field := part.FormName(); field {
		case "file":
			if len(ups) == MaxFilesPerUpload {
				return ups, nil, nil, nil, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge,
					"more than %d files in one upload", MaxFilesPerUpload)
			}
			u, err := s.stage(part)
			if u != nil {
				ups = append(ups, u)
			}
			if err != nil {
				return ups, nil, nil, nil, err
			}
		case "title", "alt", "options":
			v, err := readField(part)
			if err != nil {
				return ups, nil, nil, nil, err
			}
			switch field {
			case "title":
				titles = append(titles, v)
			case "alt":
				alts = append(alts, v)
			default:
				if opts != nil {
					return ups, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "options given twice")
				}
				opts = []byte(v)
			}
			// Text is held in memory: bound it as it arrives. Past
			// MaxFilesPerUpload there are bound to be more titles (or alt
			// texts) than files, the 400 below, so answer it now rather
			// than after reading an endless body.
			if len(titles) > MaxFilesPerUpload || len(alts) > MaxFilesPerUpload {
				return ups, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest,
					"more than %d titles or alt texts in one upload", MaxFilesPerUpload)
			}
		default:
			return ups, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest,
				"unknown field %q (want file, title, alt or options)", field)
		}
	}
	if len(ups) == 0 {
		return nil, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest, "no \"file\" field in the upload")
	}
	if len(titles) > len(ups) || len(alts) > len(ups) {
		return ups, nil, nil, nil, errorf(http.StatusBadRequest, CodeBadRequest,
			"%d titles and %d alt texts for %d files", len(titles), len(alts), len(ups))
	}
	return ups, titles, alts, opts, nil
}

// bodyError reports a failure to read the request body: a client that went
// away or sent a malformed multipart stream.
func (s *Server) bodyError(err error) error {
	return errorf(http.StatusBadRequest, CodeBadRequest, "malformed multipart body: %v", err)
}

// readField reads a text field of at most maxFieldBytes.
func readField(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
	if err != nil {
		return "", errorf(http.StatusBadRequest, CodeBadRequest, "field %q: %v", p.FormName(), err)
	}
	if len(b) > maxFieldBytes {
		return "", errorf(http.StatusBadRequest, CodeBadRequest, "field %q is over %d bytes", p.FormName(), maxFieldBytes)
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
	u.width, u.height = cfg.Width, cfg.Height
	return u, nil
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
// no second job.
func (s *Server) store(ctx context.Context, ups []*upload, titles, alts []string, key string) ([]store.Image, []bool, error) {
	// A client hanging up must not cut the transaction short (store.Detach).
	ctx, cancel := store.Detach(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	imgs := make([]store.Image, len(ups))
	created := make([]bool, len(ups))
	var moved []string // originals this transaction moved into place
	for i, u := range ups {
		// Inside the transaction, under the write lock: a delete of the
		// last image using the same bytes cannot remove the file between
		// this rename and the commit.
		existed := s.dir.Exists(u.staged.Hash)
		if err := u.staged.Commit(); err != nil {
			s.dropOrphans(moved)
			return nil, nil, err
		}
		if !existed {
			moved = append(moved, u.staged.Hash)
		}
		img := store.Image{ContentHash: u.staged.Hash, OptionsKey: key, MIME: u.mime,
			Bytes: u.staged.Size, Width: u.width, Height: u.height}
		if i < len(titles) {
			img.Title = titles[i]
		}
		if i < len(alts) {
			img.Alt = alts[i]
		}
		imgs[i], created[i], err = s.db.InsertImage(ctx, tx, img)
		if err == nil && created[i] {
			_, err = queue.Enqueue(ctx, s.cfg.Queue, tx, imgs[i].ID, time.Time{})
			if err == nil {
				_, err = store.AppendEvent(ctx, tx, imgs[i].ID, store.EventImageAdded, map[string]string{"id": imgs[i].ID})
			}
		}
		if err != nil {
			tx.Rollback()
			s.dropOrphans(moved)
			return nil, nil, err
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
