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

	assert.NotEmpty(t, s.logLines("proc=serve", "msg=stopped"))

	// The trace in flight was finished within the workers' grace (10 s)
	// or, on a machine too loaded for that, cancelled and put back in the
	// queue: never lost. Then a restart completes it.
	var status string
	require.NoError(t, s.DB(t).QueryRow(`SELECT status FROM images WHERE id = ?`, img.ID).Scan(&status))
	if status == "traced" {
		assert.Equal(t, map[string]int{"completed": 1}, s.jobStates(t, img.ID))
		return
	}
	t.Logf("the trace outlasted the stop grace; it was %s and its job %v", status, s.jobStates(t, img.ID))
	assert.Equal(t, "queued", status)
	states := s.jobStates(t, img.ID)
	assert.True(t, states["available"]+states["retryable"] == 1 && len(states) == 1,
		"cancelled at the grace, the job is back in the queue: %v", states)
	again := startServer(t, serveOpts{workers: 1, data: s.Data})
	again.waitTraced(t, traceWithin, img.ID)
	assert.Equal(t, map[string]int{"completed": 1}, again.jobStates(t, img.ID))
}
