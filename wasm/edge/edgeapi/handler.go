package edgeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Default limits, sized for one request inside a Worker's 128 MB isolate
// and its CPU budget (docs/edge.md, "Limits", has the arithmetic).
const (
	// DefaultMaxBytes bounds the request body: 16 MiB holds any phone or
	// camera JPEG (a 12 MP photo is 3–8 MB) and a PNG of a few
	// megapixels, and the body stays in memory for the whole trace.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxPixels bounds images decoded at full size: the decoder's
	// raster is the memory that counts, up to 8 bytes a pixel (a 16-bit
	// RGBA PNG, or a progressive 4:2:0 JPEG's samples and coefficients,
	// 7.5), so 8 MP is at most 64 MB, plus the 16 MiB body and the Go
	// runtime: about 90 MB. It admits a 3264×2448 photo (8.0 MP) and
	// anything smaller; an image needing more a pixel gets fewer
	// (budgetBytesPerPixel).
	DefaultMaxPixels = 8_000_000
	// DefaultMaxPixelsReduced bounds JPEGs imageio decodes at reduced
	// scale: at 1/8 from their DC coefficients, 1.5 bytes per 64 pixels
	// for 4:2:0, so 40 MP needs about 1 MB of raster beside the file
	// itself; at 1/4 and 1/2 the budget may bind first. 40 MP admits
	// every phone and most camera photos (24–36 MP); TestLimits pins that
	// such a decode stays small.
	DefaultMaxPixelsReduced = 40_000_000
	// DefaultMaxSide bounds the options' maxside: tracing cost grows
	// with the traced bitmap, and 2048² (4 MP) traces in about a second
	// of Worker CPU, where the placeholder's 400 px takes tens of
	// milliseconds.
	DefaultMaxSide = 2048
)

// budgetBytesPerPixel turns MaxPixels into the memory budget of a decode:
// MaxPixels × 8 bytes, what the format needing the most per pixel that
// MaxPixels was sized for (a 16-bit RGBA PNG) holds. An image whose
// decoder holds more a pixel (imageio.EstimateDecode: a progressive 4:4:4
// JPEG at full size keeps 15 bytes) is admitted with fewer pixels.
const budgetBytesPerPixel = 8

// Config holds a Handler's limits; a zero field takes its default.
type Config struct {
	MaxBytes         int64 // request body bytes (DefaultMaxBytes)
	MaxPixels        int64 // width×height decoded at full size (DefaultMaxPixels)
	MaxPixelsReduced int64 // width×height of a JPEG decoded at reduced scale (DefaultMaxPixelsReduced)
	MaxSide          int   // largest maxside option (DefaultMaxSide)
}

func (c Config) withDefaults() Config {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxPixelsReduced <= 0 {
		c.MaxPixelsReduced = DefaultMaxPixelsReduced
	}
	c.MaxPixelsReduced = max(c.MaxPixelsReduced, c.MaxPixels)
	if c.MaxSide <= 0 {
		c.MaxSide = DefaultMaxSide
	}
	return c
}

// Handler is the edge endpoint. It keeps no state between requests, so one
// Handler serves any number of them concurrently.
type Handler struct {
	cfg Config
}

// New returns the edge endpoint with cfg's limits.
func New(cfg Config) *Handler {
	return &Handler{cfg: cfg.withDefaults()}
}

// Config returns the limits in force, defaults filled in.
func (h *Handler) Config() Config { return h.cfg }

// The CORS answer: any origin, the two methods the endpoint has, and the
// request headers a browser's fetch of an image sends.
const (
	allowMethods = "GET, POST, OPTIONS"
	allowHeaders = "Content-Type, Accept"
	// corsMaxAge lets a browser reuse a preflight for a day (Chromium
	// caps it at 2 hours, Firefox at 24): the answer never changes.
	corsMaxAge = "86400"
)

// ServeHTTP routes by path, then by method.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	var allow string
	switch r.URL.Path {
	case "/":
		allow = "GET, HEAD, OPTIONS"
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.usage(w, r)
			return
		}
	case "/trace":
		allow = "POST, OPTIONS"
		if r.Method == http.MethodPost {
			h.trace(w, r)
			return
		}
	default:
		if r.Method == http.MethodOptions { // a preflight for a path that does not exist
			preflight(w, "")
			return
		}
		writeError(w, errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s (POST /trace, GET /)", r.Method, r.URL.Path))
		return
	}
	if r.Method == http.MethodOptions {
		preflight(w, allow)
		return
	}
	w.Header().Set("Allow", allow)
	writeError(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, allow))
}

// preflight answers an OPTIONS request: 204 with the CORS headers, and
// Allow for the path's methods.
func preflight(w http.ResponseWriter, allow string) {
	h := w.Header()
	if allow != "" {
		h.Set("Allow", allow)
	}
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Access-Control-Allow-Headers", allowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, `svgtrace edge: traces an image into a small SVG placeholder.

  POST /trace?OPTIONS   body: the image's bytes (JPEG, PNG, GIF, WebP, BMP, PBM/PGM/PPM)

  curl --data-binary @photo.jpg 'https://HOST/trace?threshold=0.4&turdsize=10'

Options, over the placeholder preset, by tracecore's JSON names: turdsize,
turnpolicy, alphamax, opticurve, opttolerance, threshold (0-1 or auto), invert,
precision, color (#rrggbb or auto), background, maxside (1-%d), maxpixels,
steps, fillstrategy, thresholds (comma-separated), opaque.

Answer: format=svg (image/svg+xml, the default), format=datauri (text/plain)
or format=json (the report: sizes, timings, svg, dataURI); or by Accept.

Limits: %d bytes; %d pixels (%d for JPEGs decoded at reduced scale), fewer
for images whose decoding needs more than 8 bytes a pixel.
Errors: JSON {"error", "code"}, status 400, 405, 406, 413, 415 or 422.
`, h.cfg.MaxSide, h.cfg.MaxBytes, h.cfg.MaxPixels, h.cfg.MaxPixelsReduced)
}

// trace answers POST /trace.
func (h *Handler) trace(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept")
	if err := h.serveTrace(w, r); err != nil {
		writeError(w, err)
	}
}

func (h *Handler) serveTrace(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	form, err := chooseFormat(q.Get("format"), r.Header.Values("Accept"))
	if err != nil {
		return err
	}
	q.Del("format")
	opts, err := parseOptions(q, h.cfg)
	if err != nil {
		return err
	}
	if r.ContentLength > h.cfg.MaxBytes {
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge,
			"body of %d bytes is over the limit of %d", r.ContentLength, h.cfg.MaxBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "body is over the limit of %d bytes", mbe.Limit)
		}
		return errorf(http.StatusBadRequest, CodeBadRequest, "read body: %v", err)
	}
	if len(body) == 0 {
		return errorf(http.StatusBadRequest, CodeBadRequest, "empty body: POST the image's bytes")
	}
	cfg, err := imageio.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return classify(err)
	}
	limit, cost := h.pixelLimit(body, cfg, opts.MaxSide)
	if px := int64(cfg.Width) * int64(cfg.Height); px > limit && limit < opts.MaxPixels {
		return errorf(http.StatusUnprocessableEntity, CodeTooManyPix,
			"%d×%d is %d pixels, over the %d admitted for this image: decoded %s it needs %.3g bytes a pixel, and a decode here may hold %d MB",
			cfg.Width, cfg.Height, px, limit, cost.ScaleName(), cost.BytesPerPixel, h.cfg.MaxPixels*budgetBytesPerPixel/1_000_000)
	}
	opts.MaxPixels = min(opts.MaxPixels, limit)
	res, err := imageio.Trace(r.Context(), new(tracecore.Tracer), bytes.NewReader(body), opts)
	if err != nil {
		return classify(err)
	}
	return writeResult(w, form, res)
}

// pixelLimit returns the most pixels the image in body, whose header is
// cfg, may have for a trace of maxSide pixels, and what decoding it costs:
// MaxPixelsReduced where imageio decodes it at reduced scale (a JPEG it
// reads, at least twice maxSide), else MaxPixels, and in either case no
// more than keep the decoder within the budget MaxPixels stands for
// (budgetBytesPerPixel). So a progressive 4:4:4 JPEG decoded at full size
// gets 4.3 MP of the default 8, and one decoded at 1/2 scale 24 MP.
func (h *Handler) pixelLimit(body []byte, cfg imageio.Config, maxSide int) (int64, imageio.DecodeCost) {
	cost := imageio.EstimateDecode(body, cfg, maxSide)
	limit := h.cfg.MaxPixels
	if cost.Scale < 8 {
		limit = h.cfg.MaxPixelsReduced
	}
	return min(limit, cost.PixelsWithin(h.cfg.MaxPixels*budgetBytesPerPixel)), cost
}

// Answer formats.
const (
	formatSVG     = "svg"
	formatDataURI = "datauri"
	formatJSON    = "json"
)

// writeResult answers with the trace in form.
func writeResult(w http.ResponseWriter, form string, res *tracecore.Result) error {
	var b []byte
	switch form {
	case formatSVG:
		w.Header().Set("Content-Type", "image/svg+xml")
		b = res.SVG()
	case formatDataURI:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		b = res.AppendDataURI(nil)
	case formatJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		var err error
		if b, err = marshal(res.Report()); err != nil {
			return fmt.Errorf("edgeapi: encode report: %w", err)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b) // the caller may be gone; nothing to do about it
	return nil
}

// marshal is JSON with a trailing newline and without HTML escaping: the
// SVG and data URI are clearer with their < > & as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
