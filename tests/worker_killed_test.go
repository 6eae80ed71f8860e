package tests

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWorkerKilled SIGKILLs the worker running a slow trace: the supervisor
// sees the child exit, removes its row and sweeps at once, so a replacement
// job runs without waiting out the lease, and the image is traced exactly
// once (one traced event, one completed job; the killed run's job is
// cancelled).
func TestWorkerKilled(t *testing.T) {
	s := startServer(t, serveOpts{workers: 2})
	img := s.upload(t, filePart("rings.png", ringsPNG(t, slowSide, 0)), textPart("options", slowOptions))[0]

	waitFor(t, traceWithin, "the trace's first progress event", func() bool {
		attempts, _ := s.progress(t, img.ID)
		return len(attempts) > 0
	})
	worker, pid := s.runningOn(t, img.ID)
	killedAttempts, stages := s.progress(t, img.ID)
	require.NotContains(t, stages, "stored", "the trace finished before the kill: make it slower")
	killed := time.Now()
	signal(t, pid, syscall.SIGKILL)
	t.Logf("SIGKILLed worker %s (pid %d) at stage %q", worker, pid, stages[len(stages)-1])

	// The replacement run claims a newer attempt.
	waitFor(t, traceWithin, "a replacement run to start", func() bool {
		attempts, _ := s.progress(t, img.ID)
		return slices.Max(attempts) > slices.Max(killedAttempts)
	})
	restarted := time.Since(killed)
	s.waitTraced(t, traceWithin, img.ID)
	t.Logf("recovery: replacement started %.2f s and image traced %.2f s after the SIGKILL",
		restarted.Seconds(), time.Since(killed).Seconds())

	assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, img.ID))
	assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'progress'
		AND json_extract(payload, '$.stage') = 'stored'`, img.ID))
	assert.Equal(t, map[string]int{"completed": 1, "cancelled": 1}, s.jobStates(t, img.ID))
	assert.NotContains(t, s.workers(t), worker, "the killed worker's row is removed")
}
