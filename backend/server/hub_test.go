package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// wsClient is a test client of /ws.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func (e *env) dial(t *testing.T, header http.Header) *wsClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	ws, resp, err := websocket.DefaultDialer.Dial(u, header)
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteJSON(v))
}

// next reads messages until one of type typ (skipping others), within 10 s.
func (c *wsClient) next(typ string) map[string]any {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
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

func hdr(typ string) hub.Header { return hub.Header{V: hub.Version, Type: typ} }

// TestHubClientTraces is the main flow: a capable client plans a small
// photo, is told to trace it, uploads with the reserved id, sends its
// result; a second client sees the image added and traced, by the client,
// and the job scheduled at the deadline finds the image traced.
func TestHubClientTraces(t *testing.T) {
	e := setup(t)
	// A live worker, so the decision is not the no-worker fallback.
	require.NoError(t, e.db.RegisterWorker(context.Background(), "w", "h", 1))
	data := pngImage(t, 120, 80, 1)

	watcher := e.dial(t, nil)
	watcher.send(hub.Hello{Header: hdr(hub.TypeHello)})
	welcome := watcher.next(hub.TypeWelcome)
	watcher.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: int64(welcome["lastEventId"].(float64))})

	c := e.dial(t, nil)
	c.send(hub.Hello{Header: hdr(hub.TypeHello), ClientID: "tab-1", Capabilities: hub.Capabilities{Wasm: true, Cores: 4}})
	c.next(hub.TypeWelcome)
	c.send(hub.Plan{Header: hdr(hub.TypePlan), Ref: "p1", ContentHash: sha(data), Bytes: int64(len(data)), Width: 120, Height: 80, MIME: "image/png"})
	a := c.next(hub.TypeAssign)
	assert.Equal(t, "p1", a["ref"])
	require.Equal(t, hub.TracerClient, a["tracer"])
	require.NotEmpty(t, a["deadline"])
	id, assignment := a["imageId"].(string), a["assignmentId"].(string)

	imgs := e.upload(t, file("a.png", data), field("id", id))
	require.Equal(t, id, imgs[0].ID, "the upload takes the reserved id")
	added := watcher.next(hub.TypeImageAdded)
	assert.Equal(t, id, added["imageId"])
	assert.NotZero(t, added["eventId"])
	assert.Equal(t, "scheduled", jobState(t, e, id), "the backend waits for the deadline")

	// The client traces (here: tracecore directly, as the wasm module
	// would) and sends its result.
	svg := traceOnly(t, imgs[0], data)
	c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: assignment, SVG: svg})
	traced := watcher.next(hub.TypeTraced)
	assert.Equal(t, id, traced["imageId"])
	assert.Equal(t, "client", traced["by"])
	assert.Equal(t, svg, traced["svg"], "tracecore's own SVG is already canonical")

	got := e.image(t, id)
	assert.Equal(t, store.StatusTraced, got.Status)
	assert.Equal(t, svg, got.SVG)

	// A second result for the same image: the first stands.
	c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: assignment, SVG: svg})
	assert.Equal(t, "already_traced", c.next(hub.TypeError)["code"])

	// The scheduled job, run now, completes without tracing.
	_, err := e.db.ExecContext(context.Background(), `UPDATE river_job SET scheduled_at = ?, state = 'available'`, queue.RiverTime(time.Now()))
	require.NoError(t, err)
	runWorker(t, e)
	require.Eventually(t, func() bool { return jobState(t, e, id) == "completed" }, 20*time.Second, 20*time.Millisecond)
	again := e.image(t, id)
	assert.Equal(t, svg, again.SVG)
	assert.Equal(t, 1, e.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, id), "one result")
}

// TestHubRefusesImplausibleTrace: a client's trace of another picture is
// refused, and the backend traces at once rather than at the deadline.
func TestHubRefusesImplausibleTrace(t *testing.T) {
	e := setup(t)
	require.NoError(t, e.db.RegisterWorker(context.Background(), "w", "h", 1))
	data := pngImage(t, 120, 80, 1)
	other := blockPNG(t, 120, 80, image.Rect(0, 0, 40, 80)) // a bar on the left, not a centred square
	c := e.dial(t, nil)
	c.send(hub.Hello{Header: hdr(hub.TypeHello), Capabilities: hub.Capabilities{Wasm: true}})
	c.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: sha(data), Bytes: int64(len(data)), Width: 120, Height: 80})
	a := c.next(hub.TypeAssign)
	id := a["imageId"].(string)
	imgs := e.upload(t, file("a.png", data), field("id", id))
	wrong := traceOnly(t, imgs[0], other)
	c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: a["assignmentId"].(string), SVG: wrong})
	assert.Equal(t, "implausible", c.next(hub.TypeError)["code"])
	assert.Equal(t, "available", jobState(t, e, id), "the backend traces now")

	// Scripted SVG is refused by the sanitizer, before any comparison.
	c.send(hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: a["assignmentId"].(string),
		SVG: `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`})
	assert.Equal(t, "svg_rejected", c.next(hub.TypeError)["code"])
}

// TestHubLargeFileGoesToServer: over the client limits the backend traces,
// and the client sees progress and the traced placeholder.
func TestHubLargeFileGoesToServer(t *testing.T) {
	e := setup(t, func(c *server.Config) { c.Policy = hub.DefaultPolicy; c.Policy.ClientMaxBytes = 10 })
	stop := runWorker(t, e)
	defer stop()
	require.Eventually(t, func() bool { return len(liveWorkers(t, e)) == 1 }, 10*time.Second, 10*time.Millisecond)
	data := pngImage(t, 120, 80, 2)
	c := e.dial(t, nil)
	c.send(hub.Hello{Header: hdr(hub.TypeHello), Capabilities: hub.Capabilities{Wasm: true}})
	c.next(hub.TypeWelcome)
	c.send(hub.Resume{Header: hdr(hub.TypeResume)})
	c.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: sha(data), Bytes: int64(len(data)), Width: 120, Height: 80})
	a := c.next(hub.TypeAssign)
	require.Equal(t, hub.TracerServer, a["tracer"])
	assert.Nil(t, a["deadline"])
	e.upload(t, file("a.png", data), field("id", a["imageId"].(string)))
	p := c.next(hub.TypeProgress)
	assert.Equal(t, a["imageId"], p["imageId"])
	traced := c.next(hub.TypeTraced)
	assert.Equal(t, "server", traced["by"])
	assert.Contains(t, traced["svg"], "<svg")
}

// TestHubResume: a client resuming from an event id gets every later event
// once, in order, then live ones.
func TestHubResume(t *testing.T) {
	e := setup(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.upload(t, file("x.png", pngImage(t, 40, 30, 100+i)))[0].ID)
	}
	var first int64
	require.NoError(t, e.db.QueryRow(`SELECT min(id) FROM events WHERE type = 'image.added'`).Scan(&first))
	c := e.dial(t, nil)
	c.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: first}) // seen the first
	for _, want := range ids[1:] {
		m := c.next(hub.TypeImageAdded)
		assert.Equal(t, want, m["imageId"])
	}
	// A resume backwards changes nothing; a live event follows once.
	c.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: 0})
	live := e.upload(t, file("y.png", pngImage(t, 40, 30, 200)))[0].ID
	assert.Equal(t, live, c.next(hub.TypeImageAdded)["imageId"])
}

// TestHubRefusals covers the connection-level answers.
func TestHubRefusals(t *testing.T) {
	e := setup(t, func(c *server.Config) { c.Token = "sekrit"; c.MaxConnsPerIP = 2 })
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"

	// A foreign origin: 403 at the handshake.
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://evil.example"}})
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Without the token a connection listens but may not plan.
	c := e.dial(t, nil)
	c.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: strings.Repeat("a", 64), Bytes: 1, Width: 1, Height: 1})
	assert.Equal(t, "unauthorized", c.next(hub.TypeError)["code"])
	// Malformed messages get an error and the connection stays.
	require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"plan","contentHash":"zz"}`)))
	assert.Equal(t, "bad_message", c.next(hub.TypeError)["code"])
	require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, []byte(`not json`)))
	assert.Equal(t, "bad_message", c.next(hub.TypeError)["code"])

	// With it (in the query here; see TestHubTokenSubprotocol) a plan is answered.
	authed := e.dialURL(t, u+"?token=sekrit")
	authed.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: strings.Repeat("b", 64), Bytes: 10, Width: 2, Height: 2})
	authed.next(hub.TypeAssign)

	// The per-address cap: two are open, the third gets 429.
	_, resp, err = websocket.DefaultDialer.Dial(u, nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)

	// Over the read limit: closed with 1009.
	authed.ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"hello","clientId":"`+strings.Repeat("x", hub.DefaultReadLimit)+`"}`))
	authed.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err = authed.ws.ReadMessage(); err != nil {
			break
		}
	}
	assert.True(t, websocket.IsCloseError(err, websocket.CloseMessageTooBig), "%v", err)

	// Uploads need the token too.
	resp2, body := e.post(t, file("a.png", pngImage(t, 4, 4, 1)))
	requireError(t, resp2, body, http.StatusUnauthorized, server.CodeUnauthorized)
}

// TestHubTokenSubprotocol: the token in the subprotocol the gallery sends
// it in (TokenSubprotocolPrefix), offered beside the protocol's own, which
// the hub selects, lets a connection plan; a wrong one, or one not
// base64url-encoded, only listens.
func TestHubTokenSubprotocol(t *testing.T) {
	e := setup(t, func(c *server.Config) { c.Token = "sekrit" })
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	for _, c := range []struct {
		name, offer string
		authed      bool
	}{
		{"token", hub.TokenSubprotocolPrefix + base64.RawURLEncoding.EncodeToString([]byte("sekrit")), true},
		{"wrong token", hub.TokenSubprotocolPrefix + base64.RawURLEncoding.EncodeToString([]byte("sekrit!")), false},
		{"not encoded", hub.TokenSubprotocolPrefix + "sekrit", false},
		{"not base64url", hub.TokenSubprotocolPrefix + "sek!rit", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := websocket.Dialer{Subprotocols: []string{hub.Subprotocol, c.offer}}
			ws, resp, err := d.Dial(u, nil)
			require.NoError(t, err)
			resp.Body.Close()
			defer ws.Close()
			assert.Equal(t, hub.Subprotocol, ws.Subprotocol())
			wc := &wsClient{t: t, ws: ws}
			wc.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: strings.Repeat("c", 64), Bytes: 10, Width: 2, Height: 2})
			if c.authed {
				wc.next(hub.TypeAssign)
			} else {
				assert.Equal(t, "unauthorized", wc.next(hub.TypeError)["code"])
			}
		})
	}
}

func (e *env) dialURL(t *testing.T, u string) *wsClient {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(u, nil)
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

func jobState(t *testing.T, e *env, imageID string) string {
	t.Helper()
	var st string
	require.NoError(t, e.db.QueryRow(`SELECT state FROM river_job WHERE json_extract(args, '$.image_id') = ? ORDER BY id DESC LIMIT 1`, imageID).Scan(&st))
	return st
}

func liveWorkers(t *testing.T, e *env) []store.Worker {
	t.Helper()
	ws, err := e.db.LiveWorkers(context.Background(), queue.Lease)
	require.NoError(t, err)
	return ws
}

// runWorker runs a trace worker in this process on the env's database and
// originals; the returned func stops it.
func runWorker(t *testing.T, e *env) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- queue.RunWorker(ctx, queue.WorkerConfig{DB: e.db, Originals: queue.LocalOriginals{Dir: e.dir}, ID: "test-worker", Logger: discardLogger()})
	}()
	var stopped bool
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

// traceOnly traces data with the image's options, as a browser's wasm
// module would, storing nothing.
func traceOnly(t *testing.T, img apiImage, data []byte) string {
	t.Helper()
	var opts tracecore.Options
	require.NoError(t, json.Unmarshal(img.Options, &opts))
	res, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), opts)
	require.NoError(t, err)
	return string(res.SVG())
}

// blockPNG is a w×h white PNG with r black.
func blockPNG(t *testing.T, w, h int, r image.Rectangle) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(255)
			if (image.Point{x, y}).In(r) {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// TestHubBehindProxy: behind a trusted reverse proxy (here the loopback
// peer), each client counts against the address X-Forwarded-For names, so
// one client's connections do not use up another's; without trusted
// proxies the header is ignored, and all count against the peer.
func TestHubBehindProxy(t *testing.T) {
	dial := func(e *env, client string) int {
		t.Helper()
		ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), http.Header{"X-Forwarded-For": {client}})
		require.NotNil(t, resp, "%v", err)
		if ws != nil {
			t.Cleanup(func() { ws.Close() })
		}
		return resp.StatusCode
	}
	proxied := setup(t, func(c *server.Config) {
		c.MaxConnsPerIP = 1
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	assert.Equal(t, http.StatusSwitchingProtocols, dial(proxied, "198.51.100.1"))
	assert.Equal(t, http.StatusSwitchingProtocols, dial(proxied, "198.51.100.2"), "another client")
	assert.Equal(t, http.StatusTooManyRequests, dial(proxied, "198.51.100.1"), "the first client again")

	direct := setup(t, func(c *server.Config) { c.MaxConnsPerIP = 1 })
	assert.Equal(t, http.StatusSwitchingProtocols, dial(direct, "198.51.100.1"))
	assert.Equal(t, http.StatusTooManyRequests, dial(direct, "198.51.100.2"), "a forged header changes nothing")
}
