package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/internal/hranapeer"
)

// TestRemoteDatabase runs the whole backend on a remote libSQL database: the
// server, its supervised workers and a worker "on another machine" (its own
// empty --data, originals fetched from the server with the worker token)
// all reach the database over Hrana, through the test peer (no sqld can be
// installed here). Nothing but the --db URL and the tokens changes.
func TestRemoteDatabase(t *testing.T) {
	const dbToken, workerToken = "remote-db-token", "remote-worker-token"
	dbFile := filepath.Join(t.TempDir(), "remote.db")
	dbURL := hranapeer.Start(t, dbFile, dbToken)

	t.Run("SupervisedWorkers", func(t *testing.T) {
		s := startServer(t, serveOpts{
			workers: 2, args: []string{"--db", dbURL}, dbFile: dbFile,
			env: []string{"SVGTRACE_DB_AUTH_TOKEN=" + dbToken},
		})
		assertRemoteTraces(t, s, "picos.jpg", "opencv-logo.png")
		_, err := os.Stat(filepath.Join(s.Data, "svgtrace.db"))
		assert.ErrorIs(t, err, os.ErrNotExist, "no local database file")
	})

	t.Run("WorkerElsewhere", func(t *testing.T) {
		s := startServer(t, serveOpts{
			workers: 0, args: []string{"--db", dbURL, "--worker-token", workerToken}, dbFile: dbFile,
			env: []string{"SVGTRACE_DB_AUTH_TOKEN=" + dbToken},
		})
		// A worker sharing nothing with the server but the database URL.
		logf, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
		require.NoError(t, err)
		defer logf.Close()
		w := exec.Command(binPath, "worker", "--db", dbURL, "--data", t.TempDir(), "--server", s.URL)
		w.Env = append(os.Environ(), "SVGTRACE_DB_AUTH_TOKEN="+dbToken, "SVGTRACE_WORKER_TOKEN="+workerToken)
		w.Stdout, w.Stderr = logf, logf
		require.NoError(t, w.Start())
		done := make(chan error, 1)
		go func() { done <- w.Wait() }()
		t.Cleanup(func() {
			w.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(exitWithin):
				w.Process.Kill()
				<-done
			}
			if t.Failed() {
				b, _ := os.ReadFile(logf.Name())
				t.Logf("worker log:\n%s", b)
			}
		})
		assertRemoteTraces(t, s, "fruits.jpg")
	})
}

// assertRemoteTraces uploads the named test images and checks each ends
// traced with tracecore's placeholder.
func assertRemoteTraces(t *testing.T, s *server, names ...string) {
	t.Helper()
	var parts []part
	files := map[string][]byte{}
	for _, n := range names {
		b := readFile(t, filepath.Join("tracecore", "testdata", "images", n))
		files[n] = b
		parts = append(parts, filePart(n, b), textPart("title", n))
	}
	imgs := s.upload(t, parts...)
	require.Len(t, imgs, len(names))
	for _, img := range imgs {
		s.waitTraced(t, traceWithin, img.ID)
		got := s.image(t, img.ID)
		assert.Equal(t, expectedSVG(t, files[img.Title], got.Options), got.SVG, img.Title)
		assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, img.ID))
	}
}
