package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// env is a server on a real loopback listener over a migrated database file
// and an originals directory.
type env struct {
	srv  *httptest.Server
	db   *store.DB
	dir  *originals.Dir
	root string // the originals directory
	cfg  server.Config
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openDB opens and migrates a database file in a new temporary directory,
// returning it and the directory.
func openDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	db, err := store.Open(ctx, "file:"+filepath.Join(tmp, "svgtrace.db"), "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, store.Migrate(ctx, db))
	return db, tmp
}

// setup starts a server; mod, if given, changes its Config first.
func setup(t *testing.T, mod ...func(*server.Config)) *env {
	t.Helper()
	db, tmp := openDB(t)
	return serve(t, db, tmp, mod...)
}

// serve starts a server on db with its originals under tmp.
func serve(t *testing.T, db *store.DB, tmp string, mod ...func(*server.Config)) *env {
	t.Helper()
	return serveOn(t, db, tmp, nil, mod...)
}

// serveOn is serve with the listener wrapped by wrap (nil: as it is).
func serveOn(t *testing.T, db *store.DB, tmp string, wrap func(net.Listener) net.Listener, mod ...func(*server.Config)) *env {
	t.Helper()
	root := filepath.Join(tmp, "originals")
	dir, err := originals.Open(root)
	require.NoError(t, err)
	ins, err := queue.NewInsertClient(db, discardLogger())
	require.NoError(t, err)
	cfg := server.Config{DB: db, Originals: dir, Queue: ins, Logger: discardLogger()}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := server.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx))
	srv := httptest.NewUnstartedServer(s)
	if wrap != nil {
		srv.Listener = wrap(srv.Listener)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
	})
	return &env{srv: srv, db: db, dir: dir, root: root, cfg: cfg}
}

// apiImage is an image as the API answers it.
type apiImage struct {
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
	Error       string          `json:"error"`
	CreatedAt   time.Time       `json:"createdAt"`
	TracedAt    *time.Time      `json:"tracedAt"`
	Original    string          `json:"original"`
	Placeholder string          `json:"placeholder"`
	Stats       json.RawMessage `json:"stats"`
	SVG         string          `json:"svg"`
	Created     *bool           `json:"created"`
}

type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// part is one part of a multipart upload.
type part struct {
	field    string
	filename string // "" for a text field
	ctype    string // the part's Content-Type, if any
	body     []byte
}

func file(name string, b []byte) part { return part{field: "file", filename: name, body: b} }
func field(name, v string) part       { return part{field: name, body: []byte(v)} }

// multipartBody encodes parts as multipart/form-data.
func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.field)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
			if p.ctype == "" {
				p.ctype = "application/octet-stream"
			}
		}
		h.Set("Content-Disposition", disp)
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(p.body)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// do sends a request and returns the response with its body read.
func (e *env) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func (e *env) request(t *testing.T, method, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return e.do(t, req)
}

func (e *env) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	return e.request(t, http.MethodGet, path, nil)
}

// post uploads parts to POST /api/images.
func (e *env) post(t *testing.T, parts ...part) (*http.Response, []byte) {
	t.Helper()
	body, ctype := multipartBody(t, parts...)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/images", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", ctype)
	return e.do(t, req)
}

// upload uploads parts, requires a 202 and returns the images.
func (e *env) upload(t *testing.T, parts ...part) []apiImage {
	t.Helper()
	resp, body := e.post(t, parts...)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", body)
	var out struct {
		Images []apiImage `json:"images"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Images
}

// image returns GET /api/images/{id}, requiring a 200.
func (e *env) image(t *testing.T, id string) apiImage {
	t.Helper()
	resp, body := e.get(t, "/api/images/"+id)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var img apiImage
	require.NoError(t, json.Unmarshal(body, &img))
	return img
}

// requireError requires an error answer with status and code.
func requireError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, "%s", body)
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	var ae apiError
	require.NoError(t, json.Unmarshal(body, &ae), "%s", body)
	require.Equal(t, code, ae.Code, "%s", body)
	require.NotEmpty(t, ae.Error)
}

// count returns the result of a count(*) query.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRowContext(context.Background(), query, args...).Scan(&n))
	return n
}

func (e *env) images(t *testing.T) int { return e.count(t, `SELECT count(*) FROM images`) }
func (e *env) jobs(t *testing.T) int   { return e.count(t, `SELECT count(*) FROM river_job`) }
func (e *env) events(t *testing.T, typ string) int {
	return e.count(t, `SELECT count(*) FROM events WHERE type = ?`, typ)
}

// files lists the files below the originals directory, tmp/ included.
func (e *env) files(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(e.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(e.root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// requireEmpty requires that nothing was stored: no image, job or event
// row and no file in the originals directory.
func (e *env) requireEmpty(t *testing.T) {
	t.Helper()
	require.Zero(t, e.images(t), "images rows")
	require.Zero(t, e.jobs(t), "river_job rows")
	require.Zero(t, e.count(t, `SELECT count(*) FROM events`), "events rows")
	require.Empty(t, e.files(t), "files in the originals directory")
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pngImage returns a w×h PNG of a dark shape on white; seed varies the
// shape, so different seeds are different bytes.
func pngImage(t *testing.T, w, h int, seed int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(255)
			if x >= w/4 && x < 3*w/4 && y >= h/4 && y < 3*h/4 && (x+y+seed)%7 != 0 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	img.SetGray(0, 0, color.Gray{Y: uint8(seed)})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// hugePNG is a 68-byte PNG whose valid IHDR declares 50000×50000 pixels,
// followed by a few bytes of IDAT and IEND: what a decompression bomb's
// header looks like.
func hugePNG(t *testing.T) []byte {
	t.Helper()
	ihdr := binary.BigEndian.AppendUint32(nil, 50000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 50000)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey, deflate, no filter, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00})...)
	b = append(b, pngChunk("IEND", nil)...)
	require.Len(t, b, 68)
	return b
}

// trace stores the placeholder a worker would make of the image, through
// the store as a worker does, and returns its SVG.
func (e *env) trace(t *testing.T, img apiImage, data []byte) string {
	t.Helper()
	ctx := context.Background()
	var opts tracecore.Options
	require.NoError(t, json.Unmarshal(img.Options, &opts))
	res, err := imageio.Trace(ctx, &tracecore.Tracer{}, bytes.NewReader(data), opts)
	require.NoError(t, err)
	svg := string(res.SVG())
	attempt, err := e.db.ClaimAttempt(ctx, img.ID)
	require.NoError(t, err)
	require.NoError(t, e.db.SaveTrace(ctx, img.ID, attempt, svg, map[string]any{"traceMillis": 12.5}))
	return svg
}

// metric returns the line of the /metrics answer that starts with name (a
// metric with its labels) followed by a space, "" if none.
func (e *env) metric(t *testing.T, name string) string {
	t.Helper()
	resp, body := e.get(t, "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}
