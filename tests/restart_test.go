package tests

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartWithQueuedJobs queues images on a server without workers,
// stops it, and starts it again with workers on the same data directory:
// the jobs were committed with their images, so they survive the restart and
// every image is traced, once.
func TestRestartWithQueuedJobs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	first := startServer(t, serveOpts{workers: 0, data: data})
	const n = 6
	var ids []string
	for i := range n {
		img := first.upload(t, filePart(fmt.Sprintf("queued-%d.png", i), shapePNG(t, 2000+i)))[0]
		assert.Equal(t, "queued", img.Status)
		ids = append(ids, img.ID)
	}
	assert.Equal(t, n, first.count(t, `SELECT count(*) FROM river_job WHERE kind = 'trace' AND state = 'available'`))
	assert.Zero(t, first.count(t, `SELECT count(*) FROM workers`))
	require.Equal(t, 0, first.stop(t), "exit status after SIGTERM")

	second := startServer(t, serveOpts{workers: 2, data: data})
	second.waitTraced(t, traceWithin, ids...)
	for _, id := range ids {
		assert.Equal(t, map[string]int{"completed": 1}, second.jobStates(t, id), "image %s", id)
		assert.Equal(t, 1, second.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, id))
	}
	assert.Zero(t, second.count(t, `SELECT count(*) FROM river_job WHERE state IN ('running', 'available', 'retryable')`))
}
