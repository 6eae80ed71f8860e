package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
)

// Sizes and bounds of the load tests. None is a timing assertion but the
// eviction bound, which is the hub's write timeout (10 s) plus room for a
// loaded two-core machine.
const (
	loadClients    = 500
	loadImages     = 20
	loadTitleBytes = 6 << 10 // makes each image.added ~6.5 KB: 20 of them fill a slow client's buffers
	evictWithin    = 25 * time.Second
	loadWait       = 60 * time.Second // every client has every broadcast
	cycles         = 1000
	goroutineSlack = 5
	smallBuffer    = 4096 // SO_SNDBUF / SO_RCVBUF of a client that does not read
)

// tracked is a listener that remembers its connections by remote address,
// so a test can shrink the server side's send buffer of one of them and see
// when the server closes it.
type tracked struct {
	net.Listener
	mu    sync.Mutex
	conns map[string]*trackedConn
	// shrinkAll shrinks every accepted connection's send buffer.
	shrinkAll bool
}

type trackedConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

func (l *tracked) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.shrinkAll {
		c.(*net.TCPConn).SetWriteBuffer(smallBuffer)
	}
	tc := &trackedConn{Conn: c, closed: make(chan struct{})}
	l.mu.Lock()
	l.conns[c.RemoteAddr().String()] = tc
	l.mu.Unlock()
	return tc, nil
}

// peer returns the server side of the client connection ws.
func (l *tracked) peer(t *testing.T, ws *websocket.Conn) *trackedConn {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[ws.UnderlyingConn().LocalAddr().String()]
	require.NotNil(t, c, "the server side of %s", ws.UnderlyingConn().LocalAddr())
	return c
}

// setupTracked is setup with a tracked listener.
func setupTracked(t *testing.T, shrinkAll bool, mod ...func(*server.Config)) (*env, *tracked) {
	t.Helper()
	db, tmp := openDB(t)
	var l *tracked
	e := serveOn(t, db, tmp, func(inner net.Listener) net.Listener {
		l = &tracked{Listener: inner, conns: map[string]*trackedConn{}, shrinkAll: shrinkAll}
		return l
	}, mod...)
	return e, l
}

func (e *env) wsURL() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws" }

// slowDialer dials with a small receive buffer: a client that stops reading
// fills it, and then the server's send buffer, after a few kilobytes.
var slowDialer = &websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.(*net.TCPConn).SetReadBuffer(smallBuffer)
		return c, nil
	},
}

// writeRaw sends v as one text frame, encoded without HTML escaping (as a
// browser's JSON.stringify does: "<" stays one byte).
func writeRaw(t *testing.T, ws *websocket.Conn, v any) error {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, buf.Bytes())
}

// readUntilClosed reads until the connection fails and returns the error.
func readUntilClosed(ws *websocket.Conn, within time.Duration) error {
	ws.SetReadDeadline(time.Now().Add(within))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
	}
}

// TestHubLoad: many clients each get every broadcast, in order, once; a
// client that never reads is evicted without holding up the others; and
// connections leave nothing behind.
func TestHubLoad(t *testing.T) {
	t.Run("FiveHundredClientsAndOneThatNeverReads", func(t *testing.T) {
		e, l := setupTracked(t, false, func(c *server.Config) { c.MaxConnsPerIP = loadClients + 10 })
		type arrival struct {
			id string
			at time.Time
		}
		got := make([][]arrival, loadClients)
		errs := make([]error, loadClients)
		clients := make([]*websocket.Conn, loadClients)
		dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
		var dialWG sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range loadClients {
			dialWG.Add(1)
			sem <- struct{}{}
			go func() {
				defer dialWG.Done()
				defer func() { <-sem }()
				ws, resp, err := dialer.Dial(e.wsURL(), nil)
				if err != nil {
					errs[i] = err
					return
				}
				resp.Body.Close()
				clients[i] = ws
				errs[i] = ws.WriteJSON(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: 0})
			}()
		}
		dialWG.Wait()
		for i, err := range errs {
			require.NoError(t, err, "client %d", i)
		}
		t.Cleanup(func() {
			for _, ws := range clients {
				ws.Close()
			}
		})

		// Every client reads until it has every image, the last one
		// uploaded after the slow client's eviction.
		var readWG sync.WaitGroup
		for i, ws := range clients {
			readWG.Add(1)
			go func() {
				defer readWG.Done()
				ws.SetReadDeadline(time.Now().Add(loadWait))
				for len(got[i]) < loadImages+1 {
					_, data, err := ws.ReadMessage()
					if err != nil {
						errs[i] = err
						return
					}
					at := time.Now()
					var m struct {
						Type    string `json:"type"`
						ImageID string `json:"imageId"`
					}
					if err := json.Unmarshal(data, &m); err != nil {
						errs[i] = err
						return
					}
					if m.Type == hub.TypeImageAdded {
						got[i] = append(got[i], arrival{m.ImageID, at})
					}
				}
			}()
		}

		// The client that never reads: it resumes, then its buffers fill.
		slow, resp, err := slowDialer.Dial(e.wsURL(), nil)
		require.NoError(t, err)
		resp.Body.Close()
		defer slow.Close()
		peer := l.peer(t, slow)
		require.NoError(t, peer.Conn.(*net.TCPConn).SetWriteBuffer(smallBuffer))
		require.NoError(t, slow.WriteJSON(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: 0}))

		// Uploads, one at a time, each with a title that makes its
		// image.added large.
		ids := make([]string, 0, loadImages+1)
		answered := map[string]time.Time{}
		upload := func(i int) {
			img := e.upload(t, file("x.png", pngImage(t, 24, 16, 1000+i)), field("title", strings.Repeat("t", loadTitleBytes)))
			answered[img[0].ID] = time.Now()
			ids = append(ids, img[0].ID)
		}
		start := time.Now()
		for i := range loadImages {
			upload(i)
		}
		uploaded := time.Now()

		// The slow client is dropped within the write timeout, while the
		// others have everything already.
		select {
		case <-peer.closed:
		case <-time.After(evictWithin):
			t.Fatalf("the client that never reads is still connected %s after the last upload", evictWithin)
		}
		evicted := time.Since(uploaded)
		t.Logf("slow client evicted %s after the last upload (%s after the first)", evicted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		// Its buffered data is there to read, then the connection ends.
		err = readUntilClosed(slow, 10*time.Second)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the slow client's connection is not closed: %v", err)

		// The others keep receiving: one more broadcast reaches them all.
		upload(loadImages)
		readWG.Wait()
		var lat []float64
		for i := range loadClients {
			require.NoError(t, errs[i], "client %d", i)
			seen := make([]string, len(got[i]))
			for j, a := range got[i] {
				seen[j] = a.id
				lat = append(lat, float64(a.at.Sub(answered[a.id]).Microseconds())/1000)
			}
			require.Equal(t, ids, seen, "client %d: every image.added, in order, once", i)
		}
		slices.Sort(lat)
		pct := func(p float64) float64 { return lat[int(p/100*float64(len(lat)-1))] }
		t.Logf("delivery to %d clients, upload's 202 → image.added received: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d deliveries)",
			loadClients, pct(50), pct(90), pct(99), lat[len(lat)-1], len(lat))
	})

	t.Run("GoroutinesAfterConnectDisconnectCycles", func(t *testing.T) {
		e := setup(t)
		dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		cycle := func(i int) {
			ws, resp, err := dialer.Dial(e.wsURL(), nil)
			require.NoError(t, err)
			resp.Body.Close()
			require.NoError(t, ws.WriteJSON(hub.Hello{Header: hdr(hub.TypeHello)}))
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _, err = ws.ReadMessage() // welcome
			require.NoError(t, err)
			if i%2 == 0 {
				// A clean close half the time, a dropped TCP connection the other.
				ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			}
			ws.Close()
		}
		for i := range 10 { // warm up the server's and the client's pools
			cycle(i)
		}
		settle := func(limit int) int {
			var n int
			deadline := time.Now().Add(10 * time.Second)
			for {
				runtime.GC()
				n = runtime.NumGoroutine()
				if n <= limit || time.Now().After(deadline) {
					return n
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		before := runtime.NumGoroutine()
		for i := range cycles {
			cycle(i)
		}
		after := settle(before + goroutineSlack)
		t.Logf("goroutines: %d before, %d after %d connect/disconnect cycles", before, after, cycles)
		require.LessOrEqual(t, after, before+goroutineSlack, "goroutines left behind")
	})
}

// TestHubHostileClients: each abuse gets its specified answer and the
// server goes on serving others.
func TestHubHostileClients(t *testing.T) {
	// serving checks that the server still answers a new client.
	serving := func(t *testing.T, e *env) {
		t.Helper()
		c := e.dial(t, nil)
		c.send(hub.Hello{Header: hdr(hub.TypeHello)})
		c.next(hub.TypeWelcome)
		resp, _ := e.get(t, "/healthz")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	t.Run("BinaryFrame", func(t *testing.T) {
		e := setup(t)
		c := e.dial(t, nil)
		require.NoError(t, c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"v":1,"type":"hello"}`)))
		assert.Equal(t, "bad_message", c.next(hub.TypeError)["code"])
		// The connection stays.
		c.send(hub.Hello{Header: hdr(hub.TypeHello)})
		c.next(hub.TypeWelcome)
	})

	t.Run("MalformedMessages", func(t *testing.T) {
		e := setup(t)
		c := e.dial(t, nil)
		for _, m := range []string{``, `{}`, `[]`, `{"v":2,"type":"hello"}`, `{"v":1,"type":"subscribe"}`,
			`{"v":1,"type":"hello","admin":true}`, `{"v":1,"type":"resume","lastEventId":-1}`,
			`{"v":1,"type":"plan","contentHash":"` + strings.Repeat("a", 64) + `","bytes":-1,"width":1,"height":1}`,
			`{"v":1,"type":"hello"}{"v":1,"type":"hello"}`} {
			require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, []byte(m)))
			e := c.next(hub.TypeError)
			assert.Equal(t, "bad_message", e["code"], "%q", m)
			assert.NotEmpty(t, e["message"])
		}
		c.send(hub.Hello{Header: hdr(hub.TypeHello)})
		c.next(hub.TypeWelcome)
	})

	t.Run("InvalidUTF8", func(t *testing.T) {
		e := setup(t)
		c := e.dial(t, nil)
		require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, []byte("{\"v\":1,\"type\":\"hello\",\"clientId\":\"\xff\xfe\"}")))
		err := readUntilClosed(c.ws, 10*time.Second)
		assert.True(t, websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData), "%v", err)
		serving(t, e)
	})

	t.Run("TwoMiBMessage", func(t *testing.T) {
		e := setup(t)
		c := e.dial(t, nil)
		big := `{"v":1,"type":"hello","clientId":"` + strings.Repeat("x", 2<<20) + `"}`
		c.ws.WriteMessage(websocket.TextMessage, []byte(big)) // may fail half-way: the server closes
		err := readUntilClosed(c.ws, 10*time.Second)
		assert.True(t, websocket.IsCloseError(err, websocket.CloseMessageTooBig), "%v", err)
		serving(t, e)
	})

	t.Run("Origins", func(t *testing.T) {
		e := setup(t, func(c *server.Config) { c.AllowedOrigins = []string{"https://gallery.example"} })
		for origin, want := range map[string]int{
			e.srv.URL:                    http.StatusSwitchingProtocols, // the server's own
			"https://gallery.example":    http.StatusSwitchingProtocols, // allowed
			"https://evil.example":       http.StatusForbidden,
			"https://gallery.example.to": http.StatusForbidden,
			"null":                       http.StatusForbidden, // a sandboxed iframe, a file: page
			"http://" + strings.Replace(strings.TrimPrefix(e.srv.URL, "http://"), "127.0.0.1", "localhost", 1): http.StatusForbidden,
		} {
			ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(), http.Header{"Origin": {origin}})
			require.NotNil(t, resp, "%s: %v", origin, err)
			assert.Equal(t, want, resp.StatusCode, origin)
			if ws != nil {
				ws.Close()
			}
		}
		serving(t, e)
	})

	// Dimensions whose product overflows int64 are over the pixel limit,
	// not a wrapped-around small (or negative) image.
	t.Run("PlanOverflowingDimensions", func(t *testing.T) {
		e := setup(t)
		c := e.dial(t, nil)
		c.send(hub.Hello{Header: hdr(hub.TypeHello), Capabilities: hub.Capabilities{Wasm: true}})
		c.next(hub.TypeWelcome)
		for i, wh := range [][2]int{{1 << 32, 1 << 32}, {3037000500, 3037000500}, {1 << 62, 4}} {
			ref := fmt.Sprint(i)
			c.send(hub.Plan{Header: hdr(hub.TypePlan), Ref: ref, ContentHash: strings.Repeat("d", 64), Bytes: 100, Width: wh[0], Height: wh[1]})
			m := c.next(hub.TypeError)
			assert.Equal(t, ref, m["ref"])
			assert.Equal(t, server.CodeTooManyPix, m["code"], "%d×%d", wh[0], wh[1])
		}
		assert.Zero(t, e.count(t, `SELECT count(*) FROM reservations`))
	})

	t.Run("PlanFloodWithoutReading", func(t *testing.T) {
		// Small send buffers on the server side, a small receive buffer
		// on the client's: the replies back up after a few kilobytes.
		e, l := setupTracked(t, true)
		ws, resp, err := slowDialer.Dial(e.wsURL(), nil)
		require.NoError(t, err)
		resp.Body.Close()
		defer ws.Close()
		peer := l.peer(t, ws)
		plan := hub.Plan{Header: hdr(hub.TypePlan), ContentHash: strings.Repeat("c", 64), Bytes: 100, Width: 10, Height: 10}
		start := time.Now()
		sent := 0
		// Plans until a write fails (the server closed the connection) or
		// plenty are on their way; the kernel's buffers take many more
		// than the server reads before it gives up.
		for ; sent < 20000; sent++ {
			ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := ws.WriteJSON(plan); err != nil {
				break
			}
		}
		select {
		case <-peer.closed:
		case <-time.After(30 * time.Second):
			t.Fatalf("the server still holds a client that sent %d plans and read no reply", sent)
		}
		dropped := time.Since(start)
		// Its buffered replies are readable (unless the server's close
		// reset the connection), then the connection ends.
		replies := 0
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err = ws.ReadMessage(); err != nil {
				break
			}
			replies++
		}
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
		t.Logf("flooding client dropped %s after its first plan (%d plans written, %d replies read)",
			dropped.Round(time.Millisecond), sent, replies)
		assert.Equal(t, 1, e.count(t, `SELECT count(*) FROM reservations`), "one reservation for one file")
		serving(t, e)
	})

	t.Run("HostileSVGResults", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 60, 40, 7)
		c := e.dial(t, nil)
		c.send(hub.Hello{Header: hdr(hub.TypeHello), Capabilities: hub.Capabilities{Wasm: true}})
		c.next(hub.TypeWelcome)
		c.send(hub.Plan{Header: hdr(hub.TypePlan), ContentHash: sha(data), Bytes: int64(len(data)), Width: 60, Height: 40})
		a := c.next(hub.TypeAssign)
		require.Equal(t, hub.TracerClient, a["tracer"])
		id, assignment := a["imageId"].(string), a["assignmentId"].(string)
		e.upload(t, file("a.png", data), field("id", id))
		require.Equal(t, "scheduled", jobState(t, e, id))

		files, err := filepath.Glob("../clientsvg/testdata/hostile/*.svg")
		require.NoError(t, err)
		require.NotEmpty(t, files)
		corpus := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			corpus[filepath.Base(f)] = string(b)
		}
		const head = `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="40" viewBox="0 0 60 40">`
		// 100 000 nested groups: 700 KB, inside the read limit.
		corpus["generated: 100000 nested groups"] = head + strings.Repeat("<g>", 100000) + strings.Repeat("</g>", 100000) + "</svg>"
		for _, name := range slices.Sorted(maps.Keys(corpus)) {
			require.NoError(t, writeRaw(t, c.ws, hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: assignment, SVG: corpus[name]}), name)
			m := c.next(hub.TypeError)
			assert.Equal(t, "svg_rejected", m["code"], "%s: %v", name, m["message"])
		}
		img := e.image(t, id)
		assert.NotEqual(t, store.StatusTraced, img.Status, "no hostile SVG was stored")
		assert.Zero(t, e.count(t, `SELECT count(*) FROM events WHERE type = 'traced'`))
		assert.Equal(t, "available", jobState(t, e, id), "refused: the backend traces now")

		// Path data past the read limit (the 100 MB, cut to
		// 4 MiB: the frame header alone decides): closed with 1009.
		huge := head + `<path d="M0 0` + strings.Repeat("L1 1", 1<<20) + `Z"/></svg>`
		writeRaw(t, c.ws, hub.Result{Header: hdr(hub.TypeResult), ImageID: id, AssignmentID: assignment, SVG: huge})
		err = readUntilClosed(c.ws, 10*time.Second)
		assert.True(t, websocket.IsCloseError(err, websocket.CloseMessageTooBig), "%v", err)
		assert.NotEqual(t, store.StatusTraced, e.image(t, id).Status)
		serving(t, e)
	})
}
