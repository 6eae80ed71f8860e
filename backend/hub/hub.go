package hub

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/svgtrace/svgtrace/backend/store"
)

// Connection limits and timings. Each is a default a Config may change.
const (
	// DefaultReadLimit caps a client message. A plan or resume is a few
	// hundred bytes; a result carries a placeholder SVG, 2–10 KB for the
	// placeholder preset and a few times that posterized. A client SVG
	// larger than this goes with the HTTP upload instead.
	DefaultReadLimit = 1 << 20

	// DefaultMaxConnsPerIP bounds one address's connections: a gallery tab
	// holds one, a household behind one NAT a handful.
	DefaultMaxConnsPerIP = 32

	// writeWait bounds one write. A client that does not read (its TCP
	// window full) blocks its writer, which gives up after this and drops
	// the client: a slow client never stalls the hub or the others.
	writeWait = 10 * time.Second

	// pongWait is how long a connection may be silent (no message, no
	// pong) before it is closed; pings go every pingPeriod, well inside it.
	pongWait   = 60 * time.Second
	pingPeriod = 25 * time.Second

	// handshakeTimeout bounds the WebSocket upgrade.
	handshakeTimeout = 10 * time.Second

	// directQueue bounds the replies (welcome, assign, error) waiting for
	// a connection's writer. A client that floods requests without reading
	// fills it and is dropped.
	directQueue = 32

	// tailInterval is how often the hub reads new events from the
	// database. Workers are other processes, so the database is the only
	// way their results reach the hub; 10 ms keeps "worker stored →
	// client told" well under the 50 ms target for an indexed query on
	// events.id, cheap enough 100 times a second.
	tailInterval = 10 * time.Millisecond

	// ringSize is how many recent events the hub keeps encoded in memory
	// for its connections' writers; a writer further behind (a resume from
	// long ago) reads the database instead.
	ringSize = 4096

	// batch is how many events a writer takes at once.
	batch = 256
)

// Config configures a Hub.
type Config struct {
	DB     *store.DB
	Logger *slog.Logger
	// Policy decides who traces each plan (DefaultPolicy when zero).
	Policy Policy
	// AllowedOrigins are the origins, besides the server's own, whose
	// pages may connect ("https://example.com"). A browser sends Origin;
	// one not allowed gets 403. Requests without Origin (non-browser
	// clients) are allowed.
	AllowedOrigins []string
	// MaxConnsPerIP (DefaultMaxConnsPerIP when 0) caps connections per
	// remote address; over it the upgrade answers 429.
	MaxConnsPerIP int
	// TrustedProxies are the reverse proxies in front of the server. A
	// connection from one of them counts against the client address its
	// X-Forwarded-For names (the rightmost address not itself a trusted
	// proxy); from anywhere else the header is ignored, since any client
	// can send it. Empty: every connection counts against its TCP peer,
	// which behind a proxy would put every client under one cap.
	TrustedProxies []netip.Prefix
	// ReadLimit (DefaultReadLimit when 0) caps a client message; a larger
	// one closes the connection with 1009.
	ReadLimit int64
	// Token, when set, is required for plans and results; without it a
	// connection only listens. A client sends it at the upgrade as
	// Authorization: Bearer, or, from a browser, which cannot set headers
	// on a WebSocket, in the subprotocol TokenSubprotocolPrefix names; the
	// query ?token= is accepted too, for clients that can do neither (it
	// may end up in proxies' access logs).
	Token string
	// Planner answers plans and results (see Planner).
	Planner Planner
	// OnEvent, if set, sees every durable event the hub reads, in order,
	// from Run's goroutine: the server's metrics count traces from them
	// rather than read the events table a second time.
	OnEvent func(store.Event)
}

// Planner is what the hub asks to act on client messages: the server's
// reservations, load and result checks.
type Planner interface {
	// Plan reserves the upload and decides who traces it.
	Plan(ctx context.Context, caps Capabilities, p *Plan) (*Assign, error)
	// Result checks and stores a client's trace.
	Result(ctx context.Context, r *Result) error
}

// Hub serves /ws.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu    sync.Mutex
	perIP map[string]int
	ring  []encoded // the last ringSize events, ascending
	// ringFrom is the id after which the ring holds every event: a cursor
	// at or past it is served from memory.
	ringFrom int64
	changed  chan struct{}
	latest   atomic.Int64 // the newest event id read
	// following is set once Run has read where the events end: before,
	// latest says nothing, and writers read the database for a resume.
	following atomic.Bool
	conns     sync.WaitGroup
	closed    chan struct{}
}

// encoded is an event as a connection sends it.
type encoded struct {
	id  int64
	msg []byte
}

// New returns a hub; call Run to start following events.
func New(cfg Config) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy == (Policy{}) {
		cfg.Policy = DefaultPolicy
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, perIP: map[string]int{}, changed: make(chan struct{}), closed: make(chan struct{}),
		// Until Run has read where the events end, the ring covers none:
		// a resume reads the database instead of finding an empty ring.
		ringFrom: math.MaxInt64}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: handshakeTimeout,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		CheckOrigin:      h.checkOrigin,
		Subprotocols:     []string{Subprotocol},
	}
	return h
}

// checkOrigin allows requests without Origin (not from a browser page), the
// server's own origin and the allowlist. Never everything.
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	return false
}

// Run follows the events table from its current end until ctx is done,
// waking the connections' writers on every new event.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.closed)
	var last int64
	if err := h.cfg.DB.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last); err != nil {
		return fmt.Errorf("hub: read the newest event: %w", err)
	}
	// From here the ring covers what follows last. Writers that resumed
	// before (from the database) are woken once, so events committed
	// between their read and this one reach them now, not at the next
	// publish.
	h.mu.Lock()
	h.ringFrom = last
	h.mu.Unlock()
	h.following.Store(true)
	h.publish(nil, last)
	tick := time.NewTicker(tailInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		evs, err := h.cfg.DB.EventsAfter(ctx, last, batch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("hub: read events", "err", err)
			}
			continue
		}
		if len(evs) == 0 {
			continue
		}
		enc := make([]encoded, 0, len(evs))
		for _, ev := range evs {
			if h.cfg.OnEvent != nil {
				h.cfg.OnEvent(ev)
			}
			// Events clients do not see stay in the ring with no message,
			// so the ring has no holes and cursors move past them.
			enc = append(enc, encoded{id: ev.ID, msg: h.encode(ctx, ev)})
			last = ev.ID
		}
		h.publish(enc, last)
	}
}

// newest is the id of the newest event: the last Run read, or before Run
// follows the table, the table's own (a server just starting would
// otherwise say 0, and a client resuming from it replay everything).
func (h *Hub) newest(ctx context.Context) int64 {
	if h.following.Load() {
		return h.latest.Load()
	}
	var id int64
	if err := h.cfg.DB.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&id); err != nil {
		h.log.Warn("hub: read the newest event", "err", err)
	}
	return id
}

// publish appends events to the ring and wakes every writer.
func (h *Hub) publish(enc []encoded, last int64) {
	h.mu.Lock()
	h.ring = append(h.ring, enc...)
	if over := len(h.ring) - ringSize; over > 0 {
		h.ringFrom = h.ring[over-1].id
		h.ring = append(h.ring[:0:0], h.ring[over:]...)
	}
	h.latest.Store(last)
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

// wait returns a channel closed at the next publish.
func (h *Hub) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// since returns up to batch encoded events after id: from the ring when it
// reaches back that far, else from the database.
func (h *Hub) since(ctx context.Context, id int64) ([]encoded, error) {
	h.mu.Lock()
	if id >= h.ringFrom {
		// Find the first event after id.
		n := len(h.ring)
		lo, hi := 0, n
		for lo < hi {
			mid := (lo + hi) / 2
			if h.ring[mid].id <= id {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		out := append([]encoded(nil), h.ring[lo:min(n, lo+batch)]...)
		h.mu.Unlock()
		return out, nil
	}
	h.mu.Unlock()
	following, latest := h.following.Load(), h.latest.Load()
	evs, err := h.cfg.DB.EventsAfter(ctx, id, batch)
	if err != nil {
		return nil, err
	}
	out := make([]encoded, 0, len(evs))
	for _, ev := range evs {
		// Not published yet: the ring will have it. Before Run follows,
		// the database is all there is. Either way a writer's cursor only
		// moves forward, so nothing is sent twice.
		if following && ev.ID > latest {
			break
		}
		out = append(out, encoded{id: ev.ID, msg: h.encode(ctx, ev)}) // nil msg: skipped, the cursor moves
	}
	return out, nil
}

// encode turns a durable event into the message clients get; nil for event
// types clients do not see.
func (h *Hub) encode(ctx context.Context, ev store.Event) []byte {
	hd := Header{V: Version, EventID: ev.ID}
	var msg any
	switch ev.Type {
	case store.EventImageAdded, store.EventImageUpdated:
		// Both carry the image as the API shows it, as of the event: a
		// replay shows each state in order, never a later one early.
		var p struct {
			Image json.RawMessage `json:"image"`
		}
		json.Unmarshal(ev.Payload, &p) // an old event without the image is still an announcement
		if ev.Type == store.EventImageAdded {
			hd.Type = TypeImageAdded
			msg = ImageAdded{Header: hd, ImageID: ev.ImageID, Image: p.Image}
		} else {
			hd.Type = TypeImageUpdated
			msg = ImageUpdated{Header: hd, ImageID: ev.ImageID, Image: p.Image}
		}
	case store.EventImageDeleted:
		hd.Type = TypeImageDeleted
		msg = ImageDeleted{Header: hd, ImageID: ev.ImageID}
	case "progress":
		hd.Type = TypeProgress
		var p struct {
			Stage string `json:"stage"`
		}
		json.Unmarshal(ev.Payload, &p)
		msg = Progress{Header: hd, ImageID: ev.ImageID, Stage: p.Stage, Fraction: stageFractions[p.Stage]}
	case store.EventTraced:
		hd.Type = TypeTraced
		img, err := h.cfg.DB.GetImage(ctx, ev.ImageID)
		if err != nil {
			// Deleted since: its image.deleted event follows.
			return nil
		}
		msg = Traced{Header: hd, ImageID: ev.ImageID, Placeholder: "/api/images/" + ev.ImageID + "/placeholder.svg",
			SVG: img.SVG, By: img.TracedBy}
	case store.EventFailed:
		hd.Type = TypeFailed
		var p struct {
			Error string `json:"error"`
		}
		json.Unmarshal(ev.Payload, &p)
		msg = Failed{Header: hd, ImageID: ev.ImageID, Error: p.Error}
	default:
		return nil
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil
	}
	return b
}

// stageFractions place each stage a worker announces on the way from upload
// to stored placeholder: its start, as a share of a typical placeholder
// trace's time (preparing the image, decoding it at reduced scale included,
// is about half; docs/benchmarks.md). Workers record stage starts only, one
// row each, so this is the resolution a client gets.
var stageFractions = map[string]float64{
	"decode": 0, "prepare": 0.05, "decompose": 0.5, "polygon": 0.6, "smooth": 0.8, "optimize": 0.85, "encode": 0.95, "stored": 1,
}

// ServeHTTP upgrades the request to a WebSocket connection and serves it
// until either side closes it.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r, h.cfg.TrustedProxies)
	if !h.admit(ip) {
		http.Error(w, "too many connections from this address", http.StatusTooManyRequests)
		return
	}
	defer h.release(ip)
	authed := h.cfg.Token == "" || subtle.ConstantTimeCompare([]byte(tokenOf(r)), []byte(h.cfg.Token)) == 1
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered already (403 for a foreign origin, 400 …)
	}
	h.conns.Add(1)
	defer h.conns.Done()
	c := &conn{hub: h, ws: ws, authed: authed, ip: ip,
		direct: make(chan []byte, directQueue), resume: make(chan int64, 1), done: make(chan struct{})}
	c.serve(r.Context())
}

func (h *Hub) admit(ip string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perIP[ip] >= h.cfg.MaxConnsPerIP {
		return false
	}
	h.perIP[ip]++
	return true
}

func (h *Hub) release(ip string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perIP[ip]--; h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
}

// clientIP is the address a connection counts against: its TCP peer, or
// when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not one (each proxy appends the address it got
// the request from, so entries left of the first untrusted one may be
// forged by the client).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	client := peer
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // not an address: nothing further left can be trusted
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// tokenOf returns the token a handshake carries: in its Authorization
// header, its token subprotocol or its query, in that order; "" if none,
// or if the subprotocol's is not base64url.
func tokenOf(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	for _, p := range websocket.Subprotocols(r) {
		if enc, ok := strings.CutPrefix(p, TokenSubprotocolPrefix); ok {
			t, err := base64.RawURLEncoding.DecodeString(enc)
			if err != nil {
				return ""
			}
			return string(t)
		}
	}
	return r.URL.Query().Get("token")
}

// conn is one client connection: a reader (the handler's goroutine) and a
// writer goroutine, the only one that writes to ws.
type conn struct {
	hub    *Hub
	ws     *websocket.Conn
	ip     string
	authed bool
	caps   Capabilities

	direct chan []byte // replies, sent before events
	resume chan int64  // a resume's cursor, for the writer
	done   chan struct{}
	once   sync.Once
}

// close ends the connection once; the other goroutine notices.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.ws.Close()
	})
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.write(ctx)
	}()
	c.read(ctx)
	c.close()
	wg.Wait()
}

// read handles client messages until the connection ends.
func (c *conn) read(ctx context.Context) {
	c.ws.SetReadLimit(c.hub.cfg.ReadLimit)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has sent close 1009 (message too big) already.
				c.hub.log.Info("hub: message over the read limit; closing", "ip", c.ip)
				c.drain()
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		if typ != websocket.TextMessage {
			c.reply(errorMsg("", "bad_message", "messages are JSON text frames"))
			continue
		}
		if !utf8.Valid(data) {
			// RFC 6455 §8.1: a text frame that is not UTF-8 fails the
			// connection, with 1007. gorilla does not check; WriteControl
			// may run beside the writer goroutine.
			c.hub.log.Info("hub: text frame not UTF-8; closing", "ip", c.ip)
			c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "text frame is not UTF-8"), time.Now().Add(time.Second))
			c.drain()
			return
		}
		msg, err := Decode(data)
		if err != nil {
			c.reply(errorMsg("", "bad_message", err.Error()))
			continue
		}
		if !c.handle(ctx, msg) {
			return
		}
	}
}

// drainFor bounds how long, and drainBytes how much, a connection closed
// for an oversized message is read and discarded first: closing a socket
// with unread data makes the kernel reset it, and the client would see the
// reset (1006) instead of the close frame saying why (1009).
const (
	drainFor   = time.Second
	drainBytes = 8 << 20
)

func (c *conn) drain() {
	nc := c.ws.NetConn()
	nc.SetReadDeadline(time.Now().Add(drainFor))
	io.CopyN(io.Discard, nc, drainBytes)
}

// handle acts on one message; false ends the connection.
func (c *conn) handle(ctx context.Context, msg any) bool {
	switch m := msg.(type) {
	case *Hello:
		c.caps = m.Capabilities
		return c.reply(mustJSON(Welcome{Header: Header{V: Version, Type: TypeWelcome},
			LastEventID: c.hub.newest(ctx), MaxMessage: c.hub.cfg.ReadLimit}))
	case *Resume:
		select {
		case c.resume <- m.LastEventID:
		default:
			// A resume not yet taken by the writer: replace it.
			select {
			case <-c.resume:
			default:
			}
			c.resume <- m.LastEventID
		}
		return true
	case *Plan:
		if !c.authed {
			return c.reply(errorMsg(m.Ref, "unauthorized", "plans need the server's token"))
		}
		a, err := c.hub.cfg.Planner.Plan(ctx, c.caps, m)
		if err != nil {
			return c.reply(c.errorReply(m.Ref, err))
		}
		a.Header = Header{V: Version, Type: TypeAssign}
		a.Ref = m.Ref
		return c.reply(mustJSON(a))
	case *Result:
		if !c.authed {
			return c.reply(errorMsg("", "unauthorized", "results need the server's token"))
		}
		if err := c.hub.cfg.Planner.Result(ctx, m); err != nil {
			return c.reply(c.errorReply("", fmt.Errorf("result for image %s: %w", m.ImageID, err)))
		}
		return true // the traced event announces it, to every client
	}
	return true
}

// reply queues a message for the writer; a client whose queue is full is
// not reading and is dropped.
func (c *conn) reply(msg []byte) bool {
	select {
	case c.direct <- msg:
		return true
	default:
		c.hub.log.Info("hub: client not reading its replies; closing", "ip", c.ip)
		return false
	}
}

// write sends replies and events until the connection ends. Events start
// flowing at the first resume, from its cursor; a later resume only moves
// the cursor forward, so nothing is sent twice.
func (c *conn) write(ctx context.Context) {
	defer c.close()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	cursor := int64(-1) // no resume yet: no events
	for {
		wake := c.hub.wait()
		// Replies first.
		select {
		case msg := <-c.direct:
			if !c.send(websocket.TextMessage, msg) {
				return
			}
			continue
		case id := <-c.resume:
			if id > cursor {
				cursor = id
			}
			continue
		default:
		}
		if cursor >= 0 && (cursor < c.hub.latest.Load() || !c.hub.following.Load()) {
			evs, err := c.hub.since(ctx, cursor)
			if err != nil {
				c.hub.log.Warn("hub: read events for a client", "err", err)
				return
			}
			for _, ev := range evs {
				if ev.msg != nil && !c.send(websocket.TextMessage, ev.msg) {
					return
				}
				cursor = ev.id
			}
			if len(evs) > 0 {
				continue
			}
		}
		select {
		case <-c.done:
			return
		case <-c.hub.closed:
			c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping"), time.Now().Add(time.Second))
			return
		case msg := <-c.direct:
			if !c.send(websocket.TextMessage, msg) {
				return
			}
		case id := <-c.resume:
			if id > cursor {
				cursor = id
			}
		case <-wake:
		case <-ping.C:
			if !c.send(websocket.PingMessage, nil) {
				return
			}
		}
	}
}

// send writes one frame within writeWait.
func (c *conn) send(typ int, data []byte) bool {
	c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.ws.WriteMessage(typ, data); err != nil {
		return false
	}
	return true
}

// errorReply answers a failed plan or result: a CodedError's code and
// message, or, for any other error (the database, the disk), "internal"
// with no details, which go to the log.
func (c *conn) errorReply(ref string, err error) []byte {
	var ce *CodedError
	if errors.As(err, &ce) {
		return errorMsg(ref, ce.Code, err.Error())
	}
	c.hub.log.Error("hub: request failed", "ip", c.ip, "err", err)
	return errorMsg(ref, "internal", "internal error (the server's log has the details)")
}

func errorMsg(ref, code, message string) []byte {
	return mustJSON(Error{Header: Header{V: Version, Type: TypeError}, Ref: ref, Code: code, Message: message})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own message types always marshal
	}
	return b
}

// CodedError is an error with a protocol error code; a Planner returns one
// to choose the code clients see.
type CodedError struct {
	Code string
	Err  error
}

func (e *CodedError) Error() string { return e.Err.Error() }
func (e *CodedError) Unwrap() error { return e.Err }
