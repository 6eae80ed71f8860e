package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// env is a migrated database, served by one backend, and an originals
// directory.
type env struct {
	open func(t *testing.T) *store.DB // a new pool on the database
	db   *store.DB                    // the test's own pool
	dir  *originals.Dir
	ins  *Client
	opts tracecore.Options
	key  string
}

func newEnv(t *testing.T, b backend) *env {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	open := b.serve(t, dbPath(root))
	db := open(t)
	require.NoError(t, store.Migrate(ctx, db))
	dir, err := originals.Open(filepath.Join(root, "originals"))
	require.NoError(t, err)
	ins, err := NewInsertClient(db, nil)
	require.NoError(t, err)
	opts := tracecore.PlaceholderOptions()
	key, err := json.Marshal(opts)
	require.NoError(t, err)
	return &env{open: open, db: db, dir: dir, ins: ins, opts: opts, key: string(key)}
}

// upload stores the original and inserts its image and job in one
// transaction, as the server does, through the test's pool.
func (e *env) upload(t *testing.T, data []byte) store.Image {
	t.Helper()
	img, err := e.insert(context.Background(), e.db, e.ins, data, time.Time{})
	require.NoError(t, err)
	return img
}

// insert is upload through any pool and insert client, for uploaders
// running beside the test, with the job to run at runAt (zero: now).
func (e *env) insert(ctx context.Context, db *store.DB, ins *Client, data []byte, runAt time.Time) (store.Image, error) {
	st, err := e.dir.Stage(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return store.Image{}, err
	}
	if err := st.Commit(); err != nil {
		return store.Image{}, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return store.Image{}, err
	}
	defer tx.Rollback()
	img, created, err := db.InsertImage(ctx, tx, store.Image{
		ContentHash: st.Hash, OptionsKey: e.key, MIME: "image/jpeg", Bytes: st.Size, Width: 1, Height: 1,
	})
	if err != nil {
		return store.Image{}, err
	}
	if !created {
		return store.Image{}, fmt.Errorf("image %s existed already", img.ID)
	}
	if _, err := Enqueue(ctx, ins, tx, img.ID, runAt); err != nil {
		return store.Image{}, err
	}
	return img, tx.Commit()
}

func (e *env) waitStatus(t *testing.T, id string) store.Image {
	t.Helper()
	var img store.Image
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		img, err = e.db.GetImage(context.Background(), id)
		require.NoError(c, err)
		assert.NotEqual(c, store.StatusQueued, img.Status)
	}, 60*time.Second, 20*time.Millisecond)
	return img
}

// startWorker runs a worker, as `svgtrace worker` would, on a pool of its
// own, until the test ends. Its log (River's included) goes to the test's.
func startWorker(t *testing.T, e *env, id string) {
	t.Helper()
	db := e.open(t)
	cfg := WorkerConfig{DB: db, Originals: LocalOriginals{e.dir}, ID: id, Logger: testLogger(t, id)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWorker(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop")
		}
	})
}

// testLogger logs warnings and errors to the test's log, named after who
// logs. It stops logging when the test ends (a River client may still log
// while stopping).
func testLogger(t *testing.T, name string) *slog.Logger {
	var (
		mu   sync.Mutex
		done bool
	)
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf("%s: %s", name, bytes.TrimRight(p, "\n"))
		}
		return len(p), nil
	}), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "tracecore", "testdata", "images", name))
	require.NoError(t, err)
	return b
}

func TestWorkerTracesAndStores(t *testing.T) { eachBackend(t, testWorkerTracesAndStores) }

func testWorkerTracesAndStores(t *testing.T, e *env) {
	data := readTestdata(t, "picos.jpg")
	img := e.upload(t, data)
	startWorker(t, e, "w1")

	got := e.waitStatus(t, img.ID)
	require.Equal(t, store.StatusTraced, got.Status, got.Error)

	// The stored placeholder is what tracecore makes of the same bytes.
	want, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), e.opts)
	require.NoError(t, err)
	assert.Equal(t, string(want.SVG()), got.SVG)
	var stats Stats
	require.NoError(t, json.Unmarshal([]byte(got.Stats), &stats))
	assert.Equal(t, len(got.SVG), stats.SVGBytes)
	assert.Positive(t, stats.TraceMillis)
	assert.EqualValues(t, 1, got.Attempt)

	// Events: the stages in order, then stored, then traced; the job completed.
	evs, err := e.db.EventsAfter(context.Background(), 0, 100)
	require.NoError(t, err)
	var seq []string
	for _, ev := range evs {
		if ev.Type == EventProgress {
			var p struct{ Stage string }
			require.NoError(t, json.Unmarshal(ev.Payload, &p))
			seq = append(seq, p.Stage)
		} else {
			seq = append(seq, ev.Type)
		}
	}
	require.NotEmpty(t, seq)
	assert.Equal(t, string(tracecore.StagePrepare), seq[0])
	assert.Equal(t, []string{StageStored, store.EventTraced}, seq[len(seq)-2:])
	assert.Equal(t, 1, jobCount(t, e, "completed"))
}

func TestWorkerFailsCorruptImageAtOnce(t *testing.T) {
	eachBackend(t, testWorkerFailsCorruptImageAtOnce)
}

func testWorkerFailsCorruptImageAtOnce(t *testing.T, e *env) {
	data := readTestdata(t, "picos.jpg")
	img := e.upload(t, data[:len(data)/2]) // truncated: ErrCorrupt
	startWorker(t, e, "w1")

	got := e.waitStatus(t, img.ID)
	require.Equal(t, store.StatusFailed, got.Status)
	assert.Contains(t, got.Error, "corrupt")
	require.Eventually(t, func() bool { return jobCount(t, e, "cancelled") == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 1, jobAttempts(t, e), "a permanent error is not retried")
}

func TestWorkerSkipsDeletedAndTracedImages(t *testing.T) {
	eachBackend(t, testWorkerSkipsDeletedAndTracedImages)
}

func testWorkerSkipsDeletedAndTracedImages(t *testing.T, e *env) {
	a := e.upload(t, readTestdata(t, "opencv-logo.png"))
	b := e.upload(t, readTestdata(t, "fruits.jpg"))
	require.NoError(t, e.db.DeleteImage(context.Background(), a.ID))
	// b is traced already (as a browser's result would be) before its job runs.
	at, err := e.db.ClaimAttempt(context.Background(), b.ID)
	require.NoError(t, err)
	require.NoError(t, e.db.SaveTrace(context.Background(), b.ID, at, "<svg/>", nil))
	startWorker(t, e, "w1")

	require.Eventually(t, func() bool { return jobCount(t, e, "completed") == 2 }, 30*time.Second, 20*time.Millisecond)
	got, err := e.db.GetImage(context.Background(), b.ID)
	require.NoError(t, err)
	assert.Equal(t, "<svg/>", got.SVG, "the worker must not trace an image traced already")
	assert.EqualValues(t, 1, got.Attempt)
}

// TestSweepReplacesLostJob runs a job on a worker that blocks, declares the
// worker dead, and checks the sweep: the job row cancelled, the image fenced,
// a replacement traced by a live worker, one result.
func TestSweepReplacesLostJob(t *testing.T) { eachBackend(t, testSweepReplacesLostJob) }

func testSweepReplacesLostJob(t *testing.T, e *env) {
	ctx := context.Background()
	img := e.upload(t, readTestdata(t, "picos.jpg"))

	// A worker that claims the job and hangs, like a stopped process.
	started := make(chan struct{})
	release := make(chan struct{})
	hang := &hangWorker{db: e.db, started: started, release: release}
	workers := river.NewWorkers()
	river.AddWorker(workers, hang)
	require.NoError(t, e.db.RegisterWorker(ctx, "stuck", "h", 1))
	stuck, err := river.NewClient(riversqliteNew(e.db), &river.Config{
		ID: "stuck", Queues: map[string]river.QueueConfig{QueueName: {MaxWorkers: 1}},
		Workers: workers, FetchPollInterval: FetchPollInterval, FetchCooldown: FetchCooldown,
		Logger: quiet(nil),
	})
	require.NoError(t, err)
	require.NoError(t, stuck.Start(ctx))
	defer func() {
		close(release)
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stuck.Stop(stopCtx)
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job was never claimed")
	}

	// A sweep while the stuck worker is registered finds nothing.
	n, err := Sweep(ctx, e.db, e.ins, Lease)
	require.NoError(t, err)
	require.Zero(t, n)

	// Its supervisor sees it die: the row goes, and the next sweep acts.
	require.NoError(t, e.db.RemoveWorker(ctx, "stuck"))
	n, err = Sweep(ctx, e.db, e.ins, Lease)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, 1, jobCount(t, e, "cancelled"))
	fenced, err := e.db.GetImage(ctx, img.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, fenced.Attempt, "the sweep fences the lost run off")

	startWorker(t, e, "live")
	got := e.waitStatus(t, img.ID)
	require.Equal(t, store.StatusTraced, got.Status, got.Error)
	assert.Equal(t, 1, eventCount(t, e, img.ID, store.EventTraced), "one result")

	// The lost run resumes and tries to write with its old attempt: refused.
	err = e.db.SaveTrace(ctx, img.ID, 1, "<svg>stale</svg>", nil)
	require.ErrorIs(t, err, store.ErrStaleAttempt)
	again, err := e.db.GetImage(ctx, img.ID)
	require.NoError(t, err)
	assert.Equal(t, got.SVG, again.SVG)
}

func TestSweepFailsImageLostTooOften(t *testing.T) { eachBackend(t, testSweepFailsImageLostTooOften) }

func testSweepFailsImageLostTooOften(t *testing.T, e *env) {
	ctx := context.Background()
	img := e.upload(t, readTestdata(t, "opencv-logo.png"))
	// Pretend the job was lost MaxLost-1 times and is running on a dead worker.
	_, err := e.db.ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = ?, attempted_by = jsonb('["dead"]'),
		args = jsonb(json_set(json(args), '$.lost', ?))`, RiverTime(time.Now()), MaxLost-1)
	require.NoError(t, err)
	n, err := Sweep(ctx, e.db, e.ins, Lease)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, err := e.db.GetImage(ctx, img.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusFailed, got.Status)
	assert.Contains(t, got.Error, "lost 3 times")
	assert.Equal(t, 0, jobCount(t, e, "available"), "no replacement")
}

func TestPermanent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{tracecore.ErrCorrupt, true},
		{tracecore.ErrTooLarge, true},
		{originals.ErrNotFound, true},
		{context.DeadlineExceeded, false},
		{os.ErrClosed, false},
	} {
		assert.Equal(t, tc.want, Permanent(tc.err), "%v", tc.err)
	}
}

type hangWorker struct {
	river.WorkerDefaults[TraceArgs]
	db      *store.DB
	started chan struct{}
	release chan struct{}
}

func (w *hangWorker) Work(ctx context.Context, job *river.Job[TraceArgs]) error {
	if _, err := w.db.ClaimAttempt(ctx, job.Args.ImageID); err != nil {
		return err
	}
	close(w.started)
	<-w.release
	return nil
}

func jobCount(t *testing.T, e *env, state string) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(`SELECT count(*) FROM river_job WHERE state = ?`, state).Scan(&n))
	return n
}

func jobAttempts(t *testing.T, e *env) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(`SELECT max(attempt) FROM river_job`).Scan(&n))
	return n
}

func eventCount(t *testing.T, e *env, imageID, typ string) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(`SELECT count(*) FROM events WHERE image_id = ? AND type = ?`, imageID, typ).Scan(&n))
	return n
}

func riversqliteNew(db *store.DB) *riversqlite.Driver { return riversqlite.New(db.DB) }

// TestWorkersShareDatabase runs two workers, each on its own pool (as two
// processes), while an uploader on a third inserts jobs and a sweeper on a
// fourth sweeps in a loop, as the server does: every image is traced once,
// every job completes on its first attempt.
func TestWorkersShareDatabase(t *testing.T) { eachBackend(t, testWorkersShareDatabase) }

func testWorkersShareDatabase(t *testing.T, e *env) {
	const images = 16
	ctx, cancel := context.WithCancel(context.Background())
	startWorker(t, e, "w1")
	startWorker(t, e, "w2")

	// The sweeper finds nothing lost (both workers heartbeat), but its
	// transactions contend with everyone else's.
	sweepDB := e.open(t)
	sweepIns, err := NewInsertClient(sweepDB, nil)
	require.NoError(t, err)
	var sweeps sync.WaitGroup
	sweeps.Go(func() {
		for ctx.Err() == nil {
			if n, err := Sweep(ctx, sweepDB, sweepIns, Lease); ctx.Err() == nil {
				assert.NoError(t, err)
				assert.Zero(t, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	defer func() { cancel(); sweeps.Wait() }()

	upDB := e.open(t)
	ins, err := NewInsertClient(upDB, nil)
	require.NoError(t, err)
	ids := make([]string, 0, images)
	for i := range images {
		img, err := e.insert(ctx, upDB, ins, squarePNG(t, i), time.Time{})
		require.NoError(t, err, "upload %d", i)
		ids = append(ids, img.ID)
		time.Sleep(10 * time.Millisecond)
	}

	for _, id := range ids {
		got := e.waitStatus(t, id)
		require.Equal(t, store.StatusTraced, got.Status, got.Error)
		assert.EqualValues(t, 1, got.Attempt, "image %s traced on its first claim", id)
		assert.Equal(t, 1, eventCount(t, e, id, store.EventTraced), "image %s traced once", id)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, images, jobCount(t, e, "completed"))
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 1, jobAttempts(t, e), "no job was retried")
}

// squarePNG returns a 64×64 PNG, white with a black square placed by i, so
// each i gives other bytes and a small, quick trace.
func squarePNG(t *testing.T, i int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for j := range img.Pix {
		img.Pix[j] = 0xff
	}
	x0, y0 := 4+i%8*6, 4+i/8%8*6
	for y := y0; y < y0+16; y++ {
		for x := x0; x < x0+16; x++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// TestWorkerRunsScheduledJob enqueues a job to run later (a browser's
// deadline): River's scheduler makes it available, and it runs after runAt.
func TestWorkerRunsScheduledJob(t *testing.T) { eachBackend(t, testWorkerRunsScheduledJob) }

func testWorkerRunsScheduledJob(t *testing.T, e *env) {
	runAt := time.Now().Add(500 * time.Millisecond)
	img, err := e.insert(context.Background(), e.db, e.ins, squarePNG(t, 0), runAt)
	require.NoError(t, err)
	assert.Equal(t, 1, jobCount(t, e, "scheduled"))
	startWorker(t, e, "w1")

	got := e.waitStatus(t, img.ID)
	require.Equal(t, store.StatusTraced, got.Status, got.Error)
	require.NotNil(t, got.TracedAt)
	assert.False(t, got.TracedAt.Before(runAt.Truncate(time.Millisecond)), "traced at %v, before %v", got.TracedAt, runAt)
}

func TestSweepHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A sweep not yet begun still honours its context.
	_, err := Sweep(ctx, nil, nil, Lease)
	require.ErrorIs(t, err, context.Canceled)
}
