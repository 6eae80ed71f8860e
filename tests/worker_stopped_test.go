package tests

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/queue"
)

// TestWorkerStopped SIGSTOPs the worker running a slow trace for longer than
// its lease. The process is alive, so only the lease can tell: a sweep
// (the other worker's or the server's) expires it, fences the image's attempt
// and queues a replacement, which the other worker traces. Then SIGCONT: the
// stopped worker finds its lease lost and its finished trace is refused by
// the fence, so the image keeps the one result.
func TestWorkerStopped(t *testing.T) {
	s := startServer(t, serveOpts{workers: 2})
	data := ringsPNG(t, slowSide, 1)
	img := s.upload(t, filePart("rings.png", data), textPart("options", slowOptions))[0]

	// Stop it inside the polygon stage, seconds of pure computation, so
	// that it is most unlikely to hold the database's write lock (its
	// heartbeat, sweep and River's upkeep write for milliseconds every few
	// seconds); a worker stopped holding it would stall every writer.
	waitFor(t, traceWithin, "the trace to reach its polygon stage", func() bool {
		_, stages := s.progress(t, img.ID)
		return slices.Contains(stages, "polygon")
	})
	worker, pid := s.runningOn(t, img.ID)
	stoppedAttempts, stages := s.progress(t, img.ID)
	require.NotContains(t, stages, "stored", "the trace finished before the stop: make it slower")
	stopped := time.Now()
	signal(t, pid, syscall.SIGSTOP)
	continued := false
	t.Cleanup(func() { // before the server's cleanup, which needs it to run
		if !continued {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	})
	t.Logf("SIGSTOPped worker %s (pid %d) at stage %q", worker, pid, stages[len(stages)-1])

	// Meanwhile, what the image's placeholder must be.
	type result struct {
		svg string
		err error
	}
	want := make(chan result, 1)
	opts := s.image(t, img.ID).Options
	go func() {
		svg, err := traceSVG(data, opts)
		want <- result{svg, err}
	}()

	waitFor(t, traceWithin, "a replacement run to start", func() bool {
		attempts, _ := s.progress(t, img.ID)
		return slices.Max(attempts) > slices.Max(stoppedAttempts)
	})
	restarted := time.Since(stopped)
	s.waitTraced(t, traceWithin, img.ID)
	t.Logf("recovery: replacement started %.2f s and image traced %.2f s after the SIGSTOP (lease %s)",
		restarted.Seconds(), time.Since(stopped).Seconds(), queue.Lease)
	traced := s.image(t, img.ID)
	require.True(t, alive(pid), "the stopped worker is still a process")
	assert.NotContains(t, s.workers(t), worker, "the stopped worker's lease is expired")

	signal(t, pid, syscall.SIGCONT)
	continued = true
	// It finds its lease lost at its next heartbeat and stops, letting the
	// trace in hand finish (queue.StopGrace); the fence refuses its result.
	// On a machine so loaded that the rest of the trace outlasts the grace,
	// the trace is cancelled instead and there is no result to discard.
	waitFor(t, exitWithin, "the resumed worker to exit", func() bool { return !alive(pid) })
	for _, line := range s.logLines(worker) {
		t.Log(line)
	}
	require.NotEmpty(t, s.logLines("lease lost", "worker="+worker))
	if len(s.logLines("trace result discarded", "worker="+worker, "image="+img.ID)) == 0 {
		t.Logf("worker %s was stopped before its trace finished: nothing to discard", worker)
		assert.NotEmpty(t, s.logLines("worker="+worker, "image="+img.ID), "the resumed worker logged nothing about its job")
	}

	assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, img.ID))
	assert.Equal(t, map[string]int{"completed": 1, "cancelled": 1}, s.jobStates(t, img.ID))
	after := s.image(t, img.ID)
	assert.Equal(t, "traced", after.Status)
	assert.Equal(t, traced.SVG, after.SVG, "the stale run changed the stored result")
	w := <-want
	require.NoError(t, w.err)
	assert.Equal(t, w.svg, after.SVG)
}
