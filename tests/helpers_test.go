package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// binPath is the svgtrace binary TestMain builds for the whole run.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "svgtrace-systest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		os.Exit(1)
	}
	// Both commands, side by side as make build installs them: the tests
	// run svgtrace serve and svgtrace worker, which svgtrace hands to the
	// svgtrace-server beside it.
	binPath = filepath.Join(dir, "svgtrace")
	build := exec.Command("go", "build", "-o", dir, "./backend/cmd/svgtrace", "./backend/cmd/svgtrace-server")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "tests: build svgtrace: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Bounds of the waits. None is a timing assertion: each is far above what
// the step takes on a loaded two-core machine, and only stops a hung test.
const (
	readyWithin    = 30 * time.Second
	traceWithin    = 60 * time.Second
	exitWithin     = 30 * time.Second
	killGrace      = 20 * time.Second // over the supervisor's 15 s child grace
	pollInterval   = 25 * time.Millisecond
	requestTimeout = 30 * time.Second
)

// serveOpts configures startServer.
type serveOpts struct {
	workers int
	data    string   // --data; "" for a fresh temporary directory
	env     []string // added to the environment, e.g. SVGTRACE_MAX_UPLOAD_BYTES=…
	dir     string   // working directory; "" for a fresh temporary directory
	args    []string // more flags for serve, e.g. --db URL
	// dbFile is the SQLite file the test reads the server's state from;
	// "" for DATA/svgtrace.db. A remote database's backing file goes here.
	dbFile string
}

// server is a running `svgtrace serve` process.
type server struct {
	URL    string
	Data   string
	Dir    string // its working directory
	DBFile string // the SQLite file behind its database

	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	state   *os.ProcessState

	dbOnce sync.Once
	db     *store.DB
	dbErr  error
}

// startServer starts `svgtrace serve` on a free loopback port and waits for
// /readyz. Everything it starts is stopped when the test ends, and a failed
// test logs the server's and its workers' stderr.
func startServer(t *testing.T, o serveOpts) *server {
	t.Helper()
	if o.data == "" {
		o.data = filepath.Join(t.TempDir(), "data")
	}
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	var lastLog string
	for try := 0; try < 3; try++ {
		s := launch(t, o, freeAddr(t))
		err := s.waitReady(readyWithin)
		if err == nil {
			return s
		}
		lastLog = s.log()
		if s.exited() && strings.Contains(lastLog, "address already in use") {
			continue // the port was taken between freeAddr and listen
		}
		t.Fatalf("server not ready: %v\n%s", err, lastLog)
	}
	t.Fatalf("no free port in three tries\n%s", lastLog)
	return nil
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func launch(t *testing.T, o serveOpts, addr string) *server {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	require.NoError(t, err)
	defer logf.Close() // the child holds its own descriptor
	args := append([]string{"serve", "--addr", addr, "--data", o.data, "--workers", strconv.Itoa(o.workers)}, o.args...)
	cmd := exec.Command(binPath, args...)
	cmd.Dir = o.dir
	cmd.Env = append(os.Environ(), o.env...)
	// A file, not a pipe: workers inherit the server's stderr, and a pipe
	// would keep Wait waiting for a worker that outlives the server.
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	dbFile := o.dbFile
	if dbFile == "" {
		dbFile = filepath.Join(o.data, "svgtrace.db")
	}
	s := &server{URL: "http://" + addr, Data: o.data, Dir: o.dir, DBFile: dbFile, cmd: cmd, logPath: logf.Name(), done: make(chan struct{})}
	go func() {
		cmd.Wait()
		s.state = cmd.ProcessState
		close(s.done)
	}()
	t.Cleanup(func() { s.cleanup(t) })
	return s
}

// cleanup stops the server (SIGTERM, then SIGKILL), kills any worker of its
// data directory still alive, closes the test's database handle and, if the
// test failed, logs the processes' output.
func (s *server) cleanup(t *testing.T) {
	pids := s.workerPIDs()
	if !s.exited() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(killGrace):
			t.Logf("server did not stop within %s of SIGTERM; killing it", killGrace)
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	for _, pid := range append(pids, s.strays()...) {
		if s.ours(pid) {
			syscall.Kill(pid, syscall.SIGCONT)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if s.db != nil {
		s.db.Close()
	}
	if t.Failed() {
		t.Logf("svgtrace serve (%s) output:\n%s", s.URL, s.log())
	}
}

// workerPIDs returns the pids the workers table holds, best effort.
func (s *server) workerPIDs() []int {
	db, err := s.openDB()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT pid FROM workers`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// strays returns the pids of live processes running this run's binary on
// this server's data directory: workers the database does not name (not
// registered yet, or their row was swept).
func (s *server) strays() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && s.ours(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ours reports whether pid is a process of this run's binary working on
// this server's data directory, so that nothing else is ever signalled.
func (s *server) ours(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(b), "\x00")
	return len(args) > 0 && args[0] == binPath && strings.Contains(string(b), "\x00"+s.Data+"\x00")
}

// log returns what the server and its workers wrote so far.
func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) waitReady(within time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if s.exited() {
			return fmt.Errorf("exited: %v", s.state)
		}
		if resp, err := c.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("/readyz not 200 within %s", within)
}

// stop sends SIGTERM and returns the exit status, failing the test if the
// server does not exit within exitWithin.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.done:
	case <-time.After(exitWithin):
		t.Fatalf("server did not exit within %s of SIGTERM", exitWithin)
	}
	return s.state.ExitCode()
}

// openDB opens the server's database from the test, once.
func (s *server) openDB() (*store.DB, error) {
	s.dbOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.db, s.dbErr = store.Open(ctx, "file:"+s.DBFile+"?mode=ro", "")
	})
	return s.db, s.dbErr
}

// DB returns the test's read-only handle on the server's database.
func (s *server) DB(t *testing.T) *store.DB {
	t.Helper()
	db, err := s.openDB()
	require.NoError(t, err)
	return db
}

// count runs a SELECT count(*) … query.
func (s *server) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.DB(t).QueryRow(query, args...).Scan(&n), query)
	return n
}

// workers returns the live workers' pids by worker ID.
func (s *server) workers(t *testing.T) map[string]int {
	t.Helper()
	rows, err := s.DB(t).Query(`SELECT id, pid FROM workers`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			id  string
			pid int
		)
		require.NoError(t, rows.Scan(&id, &pid))
		out[id] = pid
	}
	require.NoError(t, rows.Err())
	return out
}

// runningOn returns the worker (ID and pid) running the image's job, waiting
// for it to show.
func (s *server) runningOn(t *testing.T, imageID string) (string, int) {
	t.Helper()
	var (
		id  string
		pid int
	)
	waitFor(t, traceWithin, "the image's job to run on a registered worker", func() bool {
		err := s.DB(t).QueryRow(`SELECT coalesce(json_extract(attempted_by, '$[#-1]'), '') FROM river_job
			WHERE state = 'running' AND json_extract(args, '$.image_id') = ?`, imageID).Scan(&id)
		if err != nil {
			return false
		}
		pid = s.workers(t)[id]
		return pid != 0
	})
	return id, pid
}

// jobStates returns the image's trace jobs' states, by state.
func (s *server) jobStates(t *testing.T, imageID string) map[string]int {
	t.Helper()
	rows, err := s.DB(t).Query(`SELECT state, count(*) FROM river_job
		WHERE kind = 'trace' AND json_extract(args, '$.image_id') = ? GROUP BY state`, imageID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			state string
			n     int
		)
		require.NoError(t, rows.Scan(&state, &n))
		out[state] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// waitTraced waits until every image is traced, failing at once if one
// fails.
func (s *server) waitTraced(t *testing.T, within time.Duration, ids ...string) {
	t.Helper()
	waitFor(t, within, fmt.Sprintf("%d images to be traced", len(ids)), func() bool {
		for _, id := range ids {
			var status, reason string
			require.NoError(t, s.DB(t).QueryRow(`SELECT status, coalesce(error, '') FROM images WHERE id = ?`, id).Scan(&status, &reason))
			require.NotEqual(t, store.StatusFailed, status, "image %s failed: %s", id, reason)
			if status != store.StatusTraced {
				return false
			}
		}
		return true
	})
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(pollInterval)
	}
}

// signal sends sig to pid.
func signal(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, syscall.Kill(pid, sig), "signal %v to %d", sig, pid)
}

// alive reports whether pid is a process that has not exited (a zombie
// has).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// part is one part of a multipart upload: a file when filename or data is
// set with field "file", a text field otherwise.
type part struct {
	field       string
	filename    string
	contentType string // of a file part; "" for application/octet-stream
	data        []byte
}

func filePart(name string, data []byte) part {
	return part{field: "file", filename: name, data: data}
}

func textPart(field, value string) part { return part{field: field, data: []byte(value)} }

// multipartBody encodes parts as multipart/form-data.
func multipartBody(t *testing.T, parts ...part) (contentType string, body []byte) {
	t.Helper()
	ct, body, err := encodeMultipart(parts...)
	require.NoError(t, err)
	return ct, body
}

// encodeMultipart is multipartBody without the test, for goroutines.
func encodeMultipart(parts ...part) (contentType string, body []byte, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.field == "file" {
			ct := p.contentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, p.filename))
			h.Set("Content-Type", ct)
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return "", nil, err
		}
		if _, err := w.Write(p.data); err != nil {
			return "", nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, err
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}

// httpClient is shared by the tests: keep-alive with room for 20 clients.
var httpClient = &http.Client{
	Timeout:   requestTimeout,
	Transport: &http.Transport{MaxIdleConnsPerHost: 32},
}

// post sends a POST and returns the status and body.
func (s *server) post(t *testing.T, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	status, out, err := s.tryPost(path, contentType, body)
	require.NoError(t, err)
	return status, out
}

// tryPost is post without the test, for goroutines.
func (s *server) tryPost(path, contentType string, body []byte) (int, []byte, error) {
	resp, err := httpClient.Post(s.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// get sends a GET and returns the response with its body read.
func (s *server) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := httpClient.Get(s.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// imageJSON is the part of the API's image the tests read.
type imageJSON struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Title       string          `json:"title"`
	MIME        string          `json:"mime"`
	Bytes       int64           `json:"bytes"`
	Width       int             `json:"width"`
	Height      int             `json:"height"`
	ContentHash string          `json:"contentHash"`
	Options     json.RawMessage `json:"options"`
	Error       string          `json:"error"`
	Placeholder string          `json:"placeholder"`
	SVG         string          `json:"svg"`
	Created     *bool           `json:"created"`
}

// uploadAnswer is the body of a 202 to POST /api/images.
type uploadAnswer struct {
	Images []imageJSON `json:"images"`
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// upload posts parts to /api/images, requires 202 and returns the images.
func (s *server) upload(t *testing.T, parts ...part) []imageJSON {
	t.Helper()
	ct, body := multipartBody(t, parts...)
	status, out := s.post(t, "/api/images", ct, body)
	require.Equal(t, http.StatusAccepted, status, "%s", out)
	var a uploadAnswer
	require.NoError(t, json.Unmarshal(out, &a), "%s", out)
	return a.Images
}

// image returns GET /api/images/{id}.
func (s *server) image(t *testing.T, id string) imageJSON {
	t.Helper()
	resp, body := s.get(t, "/api/images/"+id)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var img imageJSON
	require.NoError(t, json.Unmarshal(body, &img), "%s", body)
	return img
}

// expectedSVG traces data as the server should: imageio.Trace with the
// image's stored options (their JSON decodes over tracecore's defaults).
func expectedSVG(t *testing.T, data []byte, options json.RawMessage) string {
	t.Helper()
	svg, err := traceSVG(data, options)
	require.NoError(t, err)
	return svg
}

// traceSVG is expectedSVG without the test, for goroutines.
func traceSVG(data []byte, options json.RawMessage) (string, error) {
	var o tracecore.Options
	if err := json.Unmarshal(options, &o); err != nil {
		return "", fmt.Errorf("options %s: %w", options, err)
	}
	res, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), o)
	if err != nil {
		return "", err
	}
	return string(res.SVG()), nil
}

// encodePNG encodes img as PNG.
func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// shapePNG returns the i-th of a family of small distinct images: a 64×64
// white square with a black rectangle whose size and place depend on i
// (distinct for i below 1600).
func shapePNG(t *testing.T, i int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for j := range img.Pix {
		img.Pix[j] = 0xff
	}
	w, h := 8+i%40, 8+(i/40)%40
	x0, y0 := (i/1600)%8, 2
	for y := y0; y < y0+h && y < 64; y++ {
		for x := x0; x < x0+w && x < 64; x++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
	return encodePNG(t, img)
}

// Slow traces. Concentric rings make long closed paths, and the optimal
// polygon stage costs more than linearly in a path's length: an image of
// 10-pixel rings traced at full size (slowOptions) takes about 1.2 s at
// 2500×2500, 2.1 s at 3000, 3.2 s at 3500 and 6.6 s at 5000 on one core of
// the development machine, while its PNG stays under 400 kB and its SVG
// about 120 kB. Mid-job signals need a trace that runs for seconds
// (slowSide); a trace in flight at shutdown must end within the workers'
// stop grace of 10 s even on a loaded machine (shortSide).
const (
	slowSide    = 3500
	shortSide   = 2500
	slowRing    = 10
	slowOptions = `{"maxside":0,"threshold":0.5,"turdsize":0}`
)

// ringsPNG returns a side×side image of concentric rings; shift moves the
// centre, so that several such images differ.
func ringsPNG(t *testing.T, side, shift int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, side, side))
	c := float64(side/2 + shift)
	for y := 0; y < side; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+side]
		dy := float64(y) - c
		for x := range row {
			dx := float64(x) - c
			if int(math.Sqrt(dx*dx+dy*dy))/slowRing%2 == 0 {
				row[x] = 0xff
			}
		}
	}
	return encodePNG(t, img)
}

// progress returns the attempts of the image's progress events, in
// order, with their stages.
func (s *server) progress(t *testing.T, imageID string) (attempts []int64, stages []string) {
	t.Helper()
	rows, err := s.DB(t).Query(`SELECT json_extract(payload, '$.attempt'), json_extract(payload, '$.stage')
		FROM events WHERE image_id = ? AND type = 'progress' ORDER BY id`, imageID)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var (
			a     int64
			stage string
		)
		require.NoError(t, rows.Scan(&a, &stage))
		attempts = append(attempts, a)
		stages = append(stages, stage)
	}
	require.NoError(t, rows.Err())
	return attempts, stages
}

// logLines returns the lines of the server's output that contain every one
// of subs.
func (s *server) logLines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(s.log(), "\n") {
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(line, sub)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// readFile reads a repository file relative to the module root.
func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", rel))
	require.NoError(t, err)
	return b
}

// walkFiles returns the regular files under root, relative to it.
func walkFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if !errors.Is(err, os.ErrNotExist) {
		require.NoError(t, err)
	}
	return files
}
