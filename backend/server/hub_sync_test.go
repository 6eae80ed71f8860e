package server_test

import (
	"context"
	"encoding/json"
	"image"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
)

// syncImage is an upload answer's image with the fields of client traces.
type syncImage struct {
	apiImage
	ClientTrace string `json:"clientTrace"`
	TracedBy    string `json:"tracedBy"`
}

// syncUpload posts parts, requires a 202 and returns the answer.
func (e *env) syncUpload(t *testing.T, parts ...part) (opID string, imgs []syncImage) {
	t.Helper()
	resp, body := e.post(t, parts...)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", body)
	var out struct {
		OpID   string      `json:"opId"`
		Images []syncImage `json:"images"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	require.Len(t, out.Images, 1)
	return out.OpID, out.Images
}

// tracedBy returns GET /api/images/{id}'s tracedBy.
func (e *env) tracedBy(t *testing.T, id string) string {
	t.Helper()
	_, body := e.get(t, "/api/images/"+id)
	var img syncImage
	require.NoError(t, json.Unmarshal(body, &img))
	return img.TracedBy
}

// offlineTrace is what a browser traces offline: the placeholder preset at
// the server's default pixel limit, which is what the server's options key
// for an upload without options says.
func offlineTrace(t *testing.T, data []byte) string {
	t.Helper()
	o := tracecore.PlaceholderOptions()
	o.MaxPixels = tracecore.DefaultMaxPixels
	b, err := json.Marshal(o)
	require.NoError(t, err)
	return traceOnly(t, apiImage{Options: b}, data)
}

// planned plans data over /ws as a capable client and returns the client
// and the assign.
func (e *env) planned(t *testing.T, data []byte, w, h int) (*wsClient, map[string]any) {
	t.Helper()
	c := e.dial(t, nil)
	c.send(hub.Hello{Header: hdr(hub.TypeHello), Capabilities: hub.Capabilities{Wasm: true}})
	c.next(hub.TypeWelcome)
	c.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: sha(data), Bytes: int64(len(data)), Width: w, Height: h})
	return c, c.next(hub.TypeAssign)
}

// watch returns a client that follows every event from now on.
func (e *env) watch(t *testing.T) *wsClient {
	t.Helper()
	c := e.dial(t, nil)
	c.send(hub.Hello{Header: hdr(hub.TypeHello)})
	w := c.next(hub.TypeWelcome)
	c.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: int64(w["lastEventId"].(float64))})
	return c
}

// TestHubOfflineSync: files traced offline are uploaded later over HTTP with
// the client's SVG, idempotently.
func TestHubOfflineSync(t *testing.T) {
	t.Run("AcceptedAndReplayed", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 11)
		svg := offlineTrace(t, data)
		parts := []part{file("a.png", data), field("svg", svg), field("opId", "op-1")}
		op, imgs := e.syncUpload(t, parts...)
		assert.Equal(t, "op-1", op)
		img := imgs[0]
		assert.Equal(t, "accepted", img.ClientTrace)
		require.NotNil(t, img.Created)
		assert.True(t, *img.Created)
		assert.Equal(t, store.StatusTraced, img.Status)
		assert.Equal(t, "client", img.TracedBy)
		assert.Equal(t, svg, e.image(t, img.ID).SVG, "tracecore's SVG is canonical: stored as sent")
		assert.Zero(t, e.jobs(t), "traced by its client: no job")

		// The answer was lost; the client sends the same request again.
		op, again := e.syncUpload(t, parts...)
		assert.Equal(t, "op-1", op)
		assert.Equal(t, img.ID, again[0].ID)
		require.NotNil(t, again[0].Created)
		assert.False(t, *again[0].Created)
		assert.Equal(t, "client", again[0].TracedBy)
		assert.Equal(t, 1, e.images(t))
		assert.Zero(t, e.jobs(t))
		assert.Equal(t, 1, e.events(t, store.EventImageAdded))
		assert.Equal(t, 1, e.events(t, store.EventTraced))
	})

	t.Run("DeduplicatesWithServerTrace", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 12)
		// Uploaded online first (another tab, or curl): queued.
		first := e.upload(t, file("a.png", data))[0]
		assert.Equal(t, store.StatusQueued, first.Status)
		assert.Equal(t, "available", jobState(t, e, first.ID))
		// Then the offline copy with its trace, before any worker ran.
		svg := offlineTrace(t, data)
		_, imgs := e.syncUpload(t, file("a.png", data), field("svg", svg), field("opId", "op-2"))
		assert.Equal(t, first.ID, imgs[0].ID, "the same image")
		assert.False(t, *imgs[0].Created)
		assert.Equal(t, "accepted", imgs[0].ClientTrace)
		assert.Equal(t, "client", imgs[0].TracedBy)
		// The queued job completes without tracing.
		runWorker(t, e)
		require.Eventually(t, func() bool { return jobState(t, e, first.ID) == "completed" }, 20*time.Second, 20*time.Millisecond)
		got := e.image(t, first.ID)
		assert.Equal(t, svg, got.SVG)
		assert.Equal(t, "client", e.tracedBy(t, first.ID))
		assert.Equal(t, 1, e.images(t))
		assert.Equal(t, 1, e.jobs(t))
		assert.Equal(t, 1, e.events(t, store.EventTraced))
		assert.Zero(t, e.events(t, "progress"), "the backend never started tracing")
	})

	t.Run("ServerTracedFirst", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 13)
		img := e.upload(t, file("a.png", data))[0]
		serverSVG := e.trace(t, img, data)
		_, imgs := e.syncUpload(t, file("a.png", data), field("svg", offlineTrace(t, data)))
		assert.Equal(t, img.ID, imgs[0].ID)
		assert.Equal(t, "server", imgs[0].TracedBy, "the first result stands")
		assert.Equal(t, serverSVG, e.image(t, img.ID).SVG)
		assert.Equal(t, 1, e.events(t, store.EventTraced))
	})

	t.Run("Refused", func(t *testing.T) {
		e := setup(t)
		hostile, err := os.ReadFile("../clientsvg/testdata/hostile/script.svg")
		require.NoError(t, err)
		data := pngImage(t, 120, 80, 14)
		other := blockPNG(t, 120, 80, image.Rect(0, 0, 40, 80))
		for name, svg := range map[string]string{
			"Hostile":     string(hostile),
			"Implausible": offlineTrace(t, other),
		} {
			t.Run(name, func(t *testing.T) {
				d := append(append([]byte(nil), data...), name...) // distinct bytes, the same picture
				_, imgs := e.syncUpload(t, file("a.png", d), field("svg", svg))
				img := imgs[0]
				assert.True(t, strings.HasPrefix(img.ClientTrace, "rejected: "), "%q", img.ClientTrace)
				assert.Equal(t, store.StatusQueued, img.Status)
				assert.Empty(t, img.TracedBy)
				assert.Equal(t, "available", jobState(t, e, img.ID), "the server traces it")
			})
		}
		assert.Zero(t, e.events(t, store.EventTraced))
	})

	// A client assigned to trace attaches its SVG to the upload instead of
	// sending a result; refused, the backend traces at once, not at the
	// client's deadline: the client has answered.
	t.Run("RefusedUnderClientAssignment", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 15)
		_, a := e.planned(t, data, 120, 80)
		require.Equal(t, hub.TracerClient, a["tracer"])
		other := blockPNG(t, 120, 80, image.Rect(0, 0, 40, 80))
		_, imgs := e.syncUpload(t, file("a.png", data), field("id", a["imageId"].(string)), field("svg", offlineTrace(t, other)))
		assert.True(t, strings.HasPrefix(imgs[0].ClientTrace, "rejected: "), "%q", imgs[0].ClientTrace)
		assert.Equal(t, "available", jobState(t, e, imgs[0].ID))
	})

	t.Run("AcceptedUnderClientAssignment", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 16)
		_, a := e.planned(t, data, 120, 80)
		_, imgs := e.syncUpload(t, file("a.png", data), field("id", a["imageId"].(string)), field("svg", offlineTrace(t, data)))
		assert.Equal(t, "accepted", imgs[0].ClientTrace)
		assert.Equal(t, a["imageId"], imgs[0].ID)
		assert.Equal(t, "client", imgs[0].TracedBy)
		assert.Zero(t, e.jobs(t))
	})
}

// TestHubReservations: a plan's reservation is taken by its upload, or
// expires and leaves nothing.
func TestHubReservations(t *testing.T) {
	t.Run("ExpiresLeavingNothing", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 60, 40, 21)
		_, a := e.planned(t, data, 60, 40)
		id := a["imageId"].(string)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM reservations`))
		n, err := e.db.ExpireReservations(context.Background(), time.Now().Add(server.ReservationTTL+time.Minute))
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Zero(t, e.count(t, `SELECT count(*) FROM reservations`))
		e.requireEmpty(t)

		// Its upload, too late, is refused and stores nothing.
		resp, body := e.post(t, file("a.png", data), field("id", id))
		requireError(t, resp, body, http.StatusConflict, server.CodeNoReservation)
		e.requireEmpty(t)
	})

	t.Run("UnknownID", func(t *testing.T) {
		e := setup(t)
		resp, body := e.post(t, file("a.png", pngImage(t, 60, 40, 22)), field("id", store.NewImageID()))
		requireError(t, resp, body, http.StatusConflict, server.CodeNoReservation)
		e.requireEmpty(t)
	})

	t.Run("ExpiredNotYetSwept", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 60, 40, 23)
		_, a := e.planned(t, data, 60, 40)
		_, err := e.db.ExecContext(context.Background(), `UPDATE reservations SET expires_at = ?`, time.Now().Add(-time.Second).UnixMilli())
		require.NoError(t, err)
		resp, body := e.post(t, file("a.png", data), field("id", a["imageId"].(string)))
		requireError(t, resp, body, http.StatusConflict, server.CodeNoReservation)
		require.Zero(t, e.images(t))
		require.Zero(t, e.jobs(t))
		require.Empty(t, e.files(t))
	})

	t.Run("OtherBytes", func(t *testing.T) {
		e := setup(t)
		_, a := e.planned(t, pngImage(t, 60, 40, 24), 60, 40)
		resp, body := e.post(t, file("b.png", pngImage(t, 60, 40, 25)), field("id", a["imageId"].(string)))
		requireError(t, resp, body, http.StatusConflict, server.CodeNoReservation)
		require.Zero(t, e.images(t))
	})
}

// TestHubDeadlines: a client that vanishes is covered by the backend at its
// deadline, and when both sides finish one result is canonical: the first
// stored.
func TestHubDeadlines(t *testing.T) {
	short := func(d time.Duration) func(*server.Config) {
		return func(c *server.Config) { c.Policy = hub.DefaultPolicy; c.Policy.ClientDeadline = d }
	}

	t.Run("ClientVanishes", func(t *testing.T) {
		e := setup(t, short(300*time.Millisecond))
		runWorker(t, e)
		require.Eventually(t, func() bool { return len(liveWorkers(t, e)) == 1 }, 10*time.Second, 10*time.Millisecond)
		watcher := e.watch(t)
		data := pngImage(t, 120, 80, 31)
		c, a := e.planned(t, data, 120, 80)
		require.Equal(t, hub.TracerClient, a["tracer"])
		id := a["imageId"].(string)
		e.upload(t, file("a.png", data), field("id", id))
		c.ws.Close() // gone without a result
		start := time.Now()
		traced := watcher.nextWithin(hub.TypeTraced, 30*time.Second)
		t.Logf("traced by the backend %s after the client vanished (deadline 300 ms; River's scheduler promotes due jobs every few seconds)",
			time.Since(start).Round(time.Millisecond))
		assert.Equal(t, id, traced["imageId"])
		assert.Equal(t, "server", traced["by"])
		assert.Equal(t, "server", e.tracedBy(t, id))
		assert.Equal(t, 1, e.events(t, store.EventTraced))
	})

	t.Run("ClientAfterBackend", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 120, 80, 32)
		c, a := e.planned(t, data, 120, 80)
		require.Equal(t, hub.TracerClient, a["tracer"])
		id := a["imageId"].(string)
		imgs := e.upload(t, file("a.png", data), field("id", id))
		// The backend gets there first (the deadline passed, say).
		_, err := e.db.ExecContext(context.Background(), `UPDATE river_job SET scheduled_at = ?, state = 'available'`, queue.RiverTime(time.Now()))
		require.NoError(t, err)
		runWorker(t, e)
		require.Eventually(t, func() bool { return jobState(t, e, id) == "completed" }, 20*time.Second, 20*time.Millisecond)
		serverSVG := e.image(t, id).SVG
		require.NotEmpty(t, serverSVG)
		// The client's result, late: refused, the backend's stands.
		c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: a["assignmentId"].(string), SVG: traceOnly(t, imgs[0], data)})
		assert.Equal(t, "already_traced", c.next(hub.TypeError)["code"])
		assert.Equal(t, "server", e.tracedBy(t, id))
		assert.Equal(t, serverSVG, e.image(t, id).SVG)
		assert.Equal(t, 1, e.events(t, store.EventTraced))
	})

	t.Run("ClientWhileScheduled", func(t *testing.T) {
		// A deadline long enough for the client's result to come first,
		// short enough for the test to see the job run after it.
		e := setup(t, short(time.Second))
		runWorker(t, e)
		data := pngImage(t, 120, 80, 33)
		c, a := e.planned(t, data, 120, 80)
		require.Equal(t, hub.TracerClient, a["tracer"])
		id := a["imageId"].(string)
		imgs := e.upload(t, file("a.png", data), field("id", id))
		svg := traceOnly(t, imgs[0], data)
		c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: a["assignmentId"].(string), SVG: svg})
		require.Eventually(t, func() bool { return e.image(t, id).Status == store.StatusTraced }, 10*time.Second, 10*time.Millisecond)
		require.Equal(t, "client", e.tracedBy(t, id), "the client's result came before the deadline")
		// The job, due at the deadline, completes without tracing.
		require.Eventually(t, func() bool { return jobState(t, e, id) == "completed" }, 30*time.Second, 20*time.Millisecond)
		assert.Equal(t, svg, e.image(t, id).SVG)
		assert.Equal(t, "client", e.tracedBy(t, id))
		assert.Equal(t, 1, e.events(t, store.EventTraced))
		assert.Zero(t, e.events(t, "progress"), "the backend never started tracing")
	})
}

// nextWithin is next with another bound.
func (c *wsClient) nextWithin(typ string, within time.Duration) map[string]any {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(within))
	for {
		_, data, err := c.ws.ReadMessage()
		require.NoError(c.t, err, "waiting for %s", typ)
		var m map[string]any
		require.NoError(c.t, json.Unmarshal(data, &m))
		if m["type"] == typ {
			return m
		}
	}
}
