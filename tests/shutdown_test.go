package tests

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGracefulShutdown sends SIGTERM while a slow trace runs: the server
// stops taking requests, its workers finish the trace in hand (they have
// queue.StopGrace) and exit, and the server exits with status 0 leaving no
// worker process or row behind.
func TestGracefulShutdown(t *testing.T) {
	s := startServer(t, serveOpts{workers: 2})
	waitFor(t, readyWithin, "two workers to register", func() bool { return len(s.workers(t)) == 2 })
	img := s.upload(t, filePart("rings.png", ringsPNG(t, shortSide, 2)), textPart("options", slowOptions))[0]
	waitFor(t, traceWithin, "the trace's first progress event", func() bool {
		attempts, _ := s.progress(t, img.ID)
		return len(attempts) > 0
	})
	pids := s.workers(t)
	_, stages := s.progress(t, img.ID)
	require.NotContains(t, stages, "stored", "the trace finished before SIGTERM: make it slower")

	sent := time.Now()
	require.Equal(t, 0, s.stop(t), "exit status after SIGTERM")
	t.Logf("exited %.2f s after SIGTERM", time.Since(sent).Seconds())
	for id, pid := range pids {
		assert.False(t, alive(pid), "worker %s (pid %d) outlived the server", id, pid)
	}
	assert.Empty(t, s.workers(t), "workers rows left")
	assert.Empty(t, s.strays(), "processes of this server left")

	// The trace in flight was finished, not abandoned.
	var status string
	require.NoError(t, s.DB(t).QueryRow(`SELECT status FROM images WHERE id = ?`, img.ID).Scan(&status))
	assert.Equal(t, "traced", status)
	assert.Equal(t, map[string]int{"completed": 1}, s.jobStates(t, img.ID))
	assert.NotEmpty(t, s.logLines("proc=serve", "msg=stopped"))
}
