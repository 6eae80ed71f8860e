package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

func TestHealth(t *testing.T) {
	t.Run("Healthz", func(t *testing.T) {
		e := setup(t)
		resp, body := e.get(t, "/healthz")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"status":"ok"}`, string(body))
	})

	t.Run("Ready", func(t *testing.T) {
		e := setup(t)
		resp, body := e.get(t, "/readyz")
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		var got struct {
			Status string `json:"status"`
			Schema int    `json:"schema"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		assert.Equal(t, "ready", got.Status)
		assert.Equal(t, store.LatestVersion(), got.Schema)
	})

	t.Run("SchemaBehind", func(t *testing.T) {
		db, tmp := openDB(t)
		require.NoError(t, store.MigrateDown(context.Background(), db, store.LatestVersion()-1))
		e := serve(t, db, tmp)
		resp, body := e.get(t, "/readyz")
		requireError(t, resp, body, http.StatusServiceUnavailable, server.CodeUnavailable)
		assert.Contains(t, string(body), strconv.Itoa(store.LatestVersion()-1))

		// Still alive, just not ready.
		resp, _ = e.get(t, "/healthz")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
}

func TestMetrics(t *testing.T) {
	e := setup(t)
	assert.Equal(t, `svgtrace_uploads_total{result="created"} 0`, e.metric(t, `svgtrace_uploads_total{result="created"}`))
	assert.Equal(t, `svgtrace_queue_jobs{state="available"} 0`, e.metric(t, `svgtrace_queue_jobs{state="available"}`))
	assert.Equal(t, `svgtrace_workers_live 0`, e.metric(t, `svgtrace_workers_live`))

	a := pngImage(t, 20, 20, 1)
	e.upload(t, file("a.png", a), file("b.png", pngImage(t, 20, 20, 2)))
	e.upload(t, file("a.png", a))                               // existing
	e.upload(t, file("c.png", pngImage(t, 20, 20, 3)))          // created
	resp, _ := e.post(t, file("x.png", []byte("not an image"))) // rejected
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)

	for name, want := range map[string]string{
		`svgtrace_uploads_total{result="created"}`:  "3",
		`svgtrace_uploads_total{result="existing"}`: "1",
		`svgtrace_uploads_total{result="rejected"}`: "1",
		`svgtrace_queue_jobs{state="available"}`:    "3",
		`svgtrace_queue_jobs{state="running"}`:      "0",
		`svgtrace_queue_jobs{state="completed"}`:    "0",
		`svgtrace_workers_live`:                     "0",
		`svgtrace_trace_failures_total`:             "0",
		`svgtrace_trace_duration_seconds_count`:     "0",
	} {
		assert.Equal(t, name+" "+want, e.metric(t, name))
	}

	ctx := context.Background()
	require.NoError(t, e.db.RegisterWorker(ctx, "w1", "host", 1))
	assert.Equal(t, `svgtrace_workers_live 1`, e.metric(t, `svgtrace_workers_live`))

	// Traces and failures are counted from the events, as workers in other
	// processes append them.
	imgs := e.list(t, "").Images
	require.Len(t, imgs, 3)
	e.trace(t, imgs[0], a) // the bytes do not matter for the metric
	attempt, err := e.db.ClaimAttempt(ctx, imgs[1].ID)
	require.NoError(t, err)
	require.NoError(t, e.db.FailTrace(ctx, imgs[1].ID, attempt, "broken"))
	require.Eventually(t, func() bool {
		return e.metric(t, `svgtrace_trace_duration_seconds_count`) == `svgtrace_trace_duration_seconds_count 1` &&
			e.metric(t, `svgtrace_trace_failures_total`) == `svgtrace_trace_failures_total 1`
	}, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, `svgtrace_trace_duration_seconds_sum 0.0125`, e.metric(t, `svgtrace_trace_duration_seconds_sum`))
}

func TestAdmin(t *testing.T) {
	t.Run("Open", func(t *testing.T) {
		e := setup(t)
		resp, body := e.get(t, "/admin/jobs/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, strings.ToLower(string(body)), "<html")
	})

	t.Run("Password", func(t *testing.T) {
		e := setup(t, func(c *server.Config) { c.AdminPassword = "hunter2" })
		for name, auth := range map[string]func(*http.Request){
			"None":          func(*http.Request) {},
			"WrongPassword": func(r *http.Request) { r.SetBasicAuth("admin", "hunter3") },
			"Bearer":        func(r *http.Request) { r.Header.Set("Authorization", "Bearer hunter2") },
		} {
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/admin/jobs/", nil)
			require.NoError(t, err)
			auth(req)
			resp, body := e.do(t, req)
			requireError(t, resp, body, http.StatusUnauthorized, server.CodeUnauthorized)
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic", name)
		}
		// The dashboard's API is guarded too.
		resp, body := e.get(t, "/admin/jobs/api/jobs?state=available")
		requireError(t, resp, body, http.StatusUnauthorized, server.CodeUnauthorized)

		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/admin/jobs/", nil)
		require.NoError(t, err)
		req.SetBasicAuth("anyone", "hunter2")
		resp, body = e.do(t, req)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, strings.ToLower(string(body)), "<html")
	})
}

func TestInternalOriginals(t *testing.T) {
	data := pngImage(t, 20, 20, 1)
	hash := sha(data)
	path := "/internal/originals/" + hash

	t.Run("AbsentWithoutToken", func(t *testing.T) {
		e := setup(t)
		e.upload(t, file("a.png", data))
		resp, body := e.request(t, http.MethodGet, path, http.Header{"Authorization": {"Bearer "}})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.NotContains(t, string(body), string(data[:8]))
	})

	t.Run("WithToken", func(t *testing.T) {
		const token = "worker-secret"
		e := setup(t, func(c *server.Config) { c.WorkerToken = token })
		e.upload(t, file("a.png", data))
		// A file beside the originals directory that a path trick would
		// reach.
		secret := filepath.Join(filepath.Dir(e.root), "secret")
		require.NoError(t, os.WriteFile(secret, []byte("secret bytes"), 0o644))

		tests := []struct {
			name   string
			path   string
			auth   string
			status int
			body   []byte
		}{
			{name: "NoToken", path: path, status: http.StatusUnauthorized},
			{name: "WrongToken", path: path, auth: "Bearer worker-secreT", status: http.StatusUnauthorized},
			{name: "TokenPrefix", path: path, auth: "Bearer worker-secre", status: http.StatusUnauthorized},
			{name: "NotBearer", path: path, auth: "Basic " + token, status: http.StatusUnauthorized},
			{name: "Right", path: path, auth: "Bearer " + token, status: http.StatusOK, body: data},
			{name: "UnknownHash", path: "/internal/originals/" + sha([]byte("nope")), auth: "Bearer " + token, status: http.StatusNotFound},
			{name: "UpperCaseHash", path: "/internal/originals/" + strings.ToUpper(hash), auth: "Bearer " + token, status: http.StatusNotFound},
			{name: "EscapedDotDot", path: "/internal/originals/..%2f..%2fetc", auth: "Bearer " + token, status: http.StatusNotFound},
			{name: "EscapedSecret", path: "/internal/originals/..%2fsecret", auth: "Bearer " + token, status: http.StatusNotFound},
			{name: "EscapedAbsolute", path: "/internal/originals/%2fetc%2fpasswd", auth: "Bearer " + token, status: http.StatusNotFound},
			{name: "PrefixDir", path: "/internal/originals/" + hash[:2], auth: "Bearer " + token, status: http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := http.Header{}
				if tt.auth != "" {
					h.Set("Authorization", tt.auth)
				}
				resp, body := e.request(t, http.MethodGet, tt.path, h)
				require.Equal(t, tt.status, resp.StatusCode, "%s", body)
				if tt.body != nil {
					assert.Equal(t, tt.body, body)
					assert.Equal(t, `"`+hash+`"`, resp.Header.Get("ETag"))
					return
				}
				assert.NotContains(t, string(body), "secret bytes")
				assert.NotContains(t, string(body), string(data[1:4]))
				if tt.status == http.StatusUnauthorized {
					requireError(t, resp, body, tt.status, server.CodeUnauthorized)
				}
			})
		}
	})
}

// TestRemoteWorker traces an upload with a worker that fetches the original
// over HTTP, as a worker on another machine does.
func TestRemoteWorker(t *testing.T) {
	const token = "worker-secret"
	e := setup(t, func(c *server.Config) { c.WorkerToken = token })
	data, err := os.ReadFile(filepath.Join("..", "..", "tracecore", "imageio", "testdata", "marks.png"))
	require.NoError(t, err)
	up := e.upload(t, file("marks.png", data))[0]

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- queue.RunWorker(ctx, queue.WorkerConfig{
			DB:        e.db,
			Originals: queue.RemoteOriginals{BaseURL: e.srv.URL, Token: token, Client: e.srv.Client()},
			ID:        "remote-1",
			Logger:    discardLogger(),
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop")
		}
	})

	var got apiImage
	require.Eventually(t, func() bool {
		got = e.image(t, up.ID)
		return got.Status != store.StatusQueued
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, store.StatusTraced, got.Status, got.Error)
	var opts tracecore.Options
	require.NoError(t, json.Unmarshal(got.Options, &opts))
	res, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), opts)
	require.NoError(t, err)
	assert.Equal(t, string(res.SVG()), got.SVG, "the placeholder is what tracecore makes of the uploaded bytes")

	resp, body := e.get(t, "/api/images/"+up.ID+"/placeholder.svg")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, got.SVG, string(body))
	assert.Equal(t, 1, e.count(t, `SELECT count(*) FROM river_job WHERE state = 'completed'`))
}
