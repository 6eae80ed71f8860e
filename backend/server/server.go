package server

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"riverqueue.com/riverui"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/web"
)

// Limits' defaults.
const (
	// DefaultMaxUploadBytes is the largest original accepted: a 24-megapixel
	// camera JPEG is 8–15 MB, so 25 MB takes any photo a site owner uploads
	// while keeping one request's disk and time bounded.
	DefaultMaxUploadBytes = 25 << 20

	// MaxFilesPerUpload bounds the files in one request, so one request's
	// staging (disk and the write transaction) stays bounded too.
	MaxFilesPerUpload = 100

	// maxFieldBytes bounds a text field (title, alt, options): text, not
	// data.
	maxFieldBytes = 64 << 10

	// DefaultMaxDecodeBytes is what decoding the largest image MaxPixels
	// admits by default holds at 8 bytes a pixel (a 16-bit RGBA PNG, the
	// most any format but JPEG takes): 400 MB. A progressive 4:4:4 JPEG
	// decoded at full size (15 bytes a pixel) may then have 26.7 MP; one
	// decoded at reduced scale for a small trace, far more.
	DefaultMaxDecodeBytes = tracecore.DefaultMaxPixels * 8

	// maxEstimateHead bounds the bytes of an upload read to reckon its
	// decode's memory: a JPEG's segments up to its first scan, which real
	// files keep under a few MiB (imageio's own header limit is 16 MiB).
	maxEstimateHead = 16 << 20

	// DefaultListLimit is a page of GET /api/images without ?limit.
	DefaultListLimit = 50
)

// Config configures a Server.
type Config struct {
	DB        *store.DB
	Originals *originals.Dir
	// Queue inserts trace jobs; an insert-only client is enough.
	Queue  *queue.Client
	Logger *slog.Logger
	// MaxUploadBytes caps each original (DefaultMaxUploadBytes when 0).
	MaxUploadBytes int64
	// MaxPixels caps each image's width×height, checked from its header
	// (tracecore.DefaultMaxPixels when 0).
	MaxPixels int64
	// MaxDecodeBytes caps what decoding one image for its trace may hold
	// in memory, as imageio.EstimateDecode reckons it from the header
	// (DefaultMaxDecodeBytes when 0). It binds before MaxPixels only for
	// JPEGs needing more than 8 bytes a pixel: progressive 4:4:4, CMYK.
	MaxDecodeBytes int64
	// WorkerToken, when set, lets workers on other machines fetch originals
	// from GET /internal/originals/{hash} with "Authorization: Bearer
	// TOKEN". When empty the endpoint does not exist.
	WorkerToken string
	// AdminPassword, when set, guards /admin/jobs/ with HTTP basic auth
	// (any user name). The dashboard can cancel and delete jobs: set it
	// whenever the server listens beyond loopback.
	AdminPassword string
	// Token, when set, is required for writes: POST, PATCH and DELETE under
	// /api/images (Authorization: Bearer TOKEN) and the hub's plans and
	// results. svgtrace serve refuses to listen beyond loopback without it.
	Token string
	// Policy decides who traces each plan (hub.DefaultPolicy when zero).
	Policy hub.Policy
	// PlausibilityTolerance is the share of pixels a client's trace may get
	// wrong (DefaultPlausibilityTolerance when 0; negative: no check).
	PlausibilityTolerance float64
	// AllowedOrigins are the other origins whose pages may use /ws.
	AllowedOrigins []string
	// MaxConnsPerIP caps WebSocket connections per address
	// (hub.DefaultMaxConnsPerIP when 0).
	MaxConnsPerIP int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client a WebSocket connection counts against (hub.Config).
	TrustedProxies []netip.Prefix
	// Wasm holds the built WebAssembly files /wasm/ serves (web.Wasm()
	// when nil: what the binary embeds).
	Wasm fs.FS
}

// Server serves the API. Create it with New and call Start before serving
// and Close after.
type Server struct {
	cfg     Config
	db      *store.DB
	dir     *originals.Dir
	log     *slog.Logger
	metrics *metrics
	admin   *riverui.Handler
	hub     *hub.Hub
	mux     *http.ServeMux
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Originals == nil || cfg.Queue == nil {
		return nil, fmt.Errorf("server: DB, Originals and Queue are required")
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = tracecore.DefaultMaxPixels
	}
	if cfg.MaxDecodeBytes <= 0 {
		cfg.MaxDecodeBytes = DefaultMaxDecodeBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy == (hub.Policy{}) {
		cfg.Policy = hub.DefaultPolicy
	}
	if cfg.Wasm == nil {
		cfg.Wasm = web.Wasm()
	}
	if cfg.PlausibilityTolerance == 0 {
		cfg.PlausibilityTolerance = DefaultPlausibilityTolerance
	}
	s := &Server{cfg: cfg, db: cfg.DB, dir: cfg.Originals, log: cfg.Logger, mux: http.NewServeMux()}
	s.metrics = newMetrics(s)

	admin, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(cfg.Queue, nil),
		Logger:    cfg.Logger,
		Prefix:    "/admin/jobs",
	})
	if err != nil {
		return nil, fmt.Errorf("server: job dashboard: %w", err)
	}
	s.admin = admin

	s.hub = hub.New(hub.Config{DB: cfg.DB, Logger: cfg.Logger, Policy: cfg.Policy,
		AllowedOrigins: cfg.AllowedOrigins, MaxConnsPerIP: cfg.MaxConnsPerIP, TrustedProxies: cfg.TrustedProxies, Token: cfg.Token,
		Planner: planner{s}, OnEvent: s.metrics.observe})
	s.mux.Handle("GET /ws", s.hub)
	s.mux.Handle("POST /api/images", s.guardWrite(http.HandlerFunc(s.handleUpload)))
	s.mux.HandleFunc("GET /api/images", s.handleList)
	s.mux.HandleFunc("GET /api/images/{id}", s.handleGet)
	s.mux.Handle("DELETE /api/images/{id}", s.guardWrite(http.HandlerFunc(s.handleDelete)))
	s.mux.Handle("PATCH /api/images/{id}", s.guardWrite(http.HandlerFunc(s.handlePatch)))
	s.mux.HandleFunc("GET /api/images/{id}/original", s.handleOriginal)
	s.mux.HandleFunc("GET /api/images/{id}/placeholder.svg", s.handlePlaceholder)
	s.mux.HandleFunc("GET /wasm/{name}", s.handleWasm)
	s.mountApp()
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.Handle("/admin/jobs/", s.guardAdmin(admin))
	s.mux.Handle("/admin/jobs", http.RedirectHandler("/admin/jobs/", http.StatusMovedPermanently))
	if cfg.WorkerToken != "" {
		s.mux.HandleFunc("GET /internal/originals/{hash}", s.handleInternalOriginal)
	}
	// Anything else under /api/ is a JSON 404, not the mux's text one.
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s, nil
}

// Start starts the background parts: the job dashboard, the hub's event
// tail (which also feeds the trace metrics), and the expiry of unused
// reservations.
// They stop when ctx is done.
func (s *Server) Start(ctx context.Context) error {
	if err := s.admin.Start(ctx); err != nil {
		return fmt.Errorf("server: start job dashboard: %w", err)
	}
	go func() {
		if err := s.hub.Run(ctx); err != nil {
			s.log.Error("hub stopped", "err", err)
		}
	}()
	go s.expireReservations(ctx)
	return nil
}

// reservationSweep is how often unused reservations are deleted: they only
// block nothing (a new plan of the same bytes replaces an expired one), so
// a minute is plenty.
const reservationSweep = time.Minute

func (s *Server) expireReservations(ctx context.Context) {
	tick := time.NewTicker(reservationSweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if _, err := s.db.ExpireReservations(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("expire reservations", "err", err)
			}
		}
	}
}

// guardWrite requires the write token, when one is configured.
func (s *Server) guardWrite(h http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return h
	}
	want := []byte(s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), want) != 1 {
			s.writeError(w, r, errorf(http.StatusUnauthorized, CodeUnauthorized, "writes need the server's token (Authorization: Bearer …)"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the API, logging each request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	if !strings.HasPrefix(r.URL.Path, "/admin/") {
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"ms", float64(time.Since(start).Microseconds())/1000)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int)        { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack lets /ws take the connection over: the WebSocket upgrader asks for
// an http.Hijacker directly.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status = http.StatusSwitchingProtocols
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

func (s *Server) guardAdmin(h http.Handler) http.Handler {
	if s.cfg.AdminPassword == "" {
		return h
	}
	want := []byte(s.cfg.AdminPassword)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(pass), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="svgtrace jobs"`)
			s.writeError(w, r, errorf(http.StatusUnauthorized, CodeUnauthorized, "the job dashboard needs the admin password"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers 200 when the database answers and its schema is the
// one this binary expects, 503 otherwise.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v, err := store.SchemaVersion(ctx, s.db)
	switch {
	case err != nil:
		s.writeError(w, r, errorf(http.StatusServiceUnavailable, CodeUnavailable, "database unreachable: %v", err))
	case v != store.LatestVersion():
		s.writeError(w, r, errorf(http.StatusServiceUnavailable, CodeUnavailable,
			"database schema at version %d, want %d", v, store.LatestVersion()))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema": v})
	}
}

// handleInternalOriginal serves an original by hash to a worker with the
// worker token.
func (s *Server) handleInternalOriginal(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.WorkerToken)) != 1 {
		s.writeError(w, r, errorf(http.StatusUnauthorized, CodeUnauthorized, "a worker token is required"))
		return
	}
	hash := r.PathValue("hash")
	f, err := s.dir.Open(hash)
	if err != nil {
		s.writeError(w, r, errorf(http.StatusNotFound, CodeNotFound, "no original %q", hash))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}
