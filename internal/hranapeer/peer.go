package hranapeer

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

const (
	// DefaultStreamTTL is how long an idle stream stays open: long enough
	// that a slow test under -race keeps its transaction, short enough that
	// a leaked stream does not hold the write lock for the rest of a run.
	DefaultStreamTTL = 30 * time.Second
	// DefaultMaxStreams bounds open streams, each an open SQLite connection.
	DefaultMaxStreams = 64
	// maxBodyBytes bounds a pipeline request. libsql-client-go splits SQL
	// above 20 MiB into chunks, so no request of it comes near this.
	maxBodyBytes = 64 << 20
)

// ErrClosed is returned for requests that reach a closed peer.
var ErrClosed = errors.New("hranapeer: peer closed")

// errTooManyStreams refuses a new stream while MaxStreams are open.
var errTooManyStreams = errors.New("hranapeer: too many open streams")

// Option configures a Peer.
type Option func(*Peer)

// WithToken makes the peer require "Authorization: Bearer token" on every
// pipeline request. An empty token turns the check off.
func WithToken(token string) Option { return func(p *Peer) { p.token = token } }

// WithStreamTTL sets how long an idle stream stays open before it is closed
// and its transaction rolled back.
func WithStreamTTL(d time.Duration) Option { return func(p *Peer) { p.ttl = d } }

// WithMaxStreams sets how many streams may be open at once.
func WithMaxStreams(n int) Option { return func(p *Peer) { p.maxStreams = n } }

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(p *Peer) { p.log = l } }

// Peer is a Hrana-over-HTTP test server on one SQLite file. It is an
// http.Handler; Close releases the file.
type Peer struct {
	db         *sql.DB
	token      string
	ttl        time.Duration
	maxStreams int
	log        *slog.Logger
	now        func() time.Time // time.Now; tests move it to expire streams

	mu     sync.Mutex
	idle   map[string]*stream // streams between requests, by current baton
	open   int                // streams open, idle or serving a request
	closed bool

	stopReaper chan struct{}
	reaperDone chan struct{}
}

// stream is one Hrana stream: a dedicated connection and the SQL texts
// stored on it. A stream is in Peer.idle or held by exactly one request.
type stream struct {
	conn     *sql.Conn
	lastUsed time.Time
	sqls     map[int32]string
}

// New opens (creating it if need be) the SQLite file at dbPath in WAL mode
// and returns a peer serving it.
func New(dbPath string, opts ...Option) (*Peer, error) {
	p := &Peer{
		ttl:        DefaultStreamTTL,
		maxStreams: DefaultMaxStreams,
		log:        slog.Default(),
		now:        time.Now,
		idle:       map[string]*stream{},
		stopReaper: make(chan struct{}),
		reaperDone: make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	if dbPath == "" || strings.ContainsAny(dbPath, "?#") {
		return nil, fmt.Errorf("hranapeer: open %q: want a file path without ? or #", dbPath)
	}
	if p.ttl <= 0 || p.maxStreams <= 0 {
		return nil, fmt.Errorf("hranapeer: stream TTL %v and max streams %d must be positive", p.ttl, p.maxStreams)
	}
	// Each stream's connection waits up to 10 s for another writer (another
	// stream, peer or process) instead of failing with SQLITE_BUSY; WAL lets
	// readers and the writer proceed together.
	dsn := "file:" + dbPath + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("hranapeer: open %s: %w", dbPath, err)
	}
	db.SetMaxOpenConns(p.maxStreams)
	// No idle connections: a closed stream's connection is closed, so no
	// session state or forgotten transaction reaches the next stream.
	db.SetMaxIdleConns(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("hranapeer: open %s: %w", dbPath, err)
	}
	p.db = db
	go p.reaper()
	return p, nil
}

// Close refuses further requests, closes idle streams (rolling back their
// transactions) and the database. A request being served finishes first and
// its stream is closed after it.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = map[string]*stream{}
	p.mu.Unlock()
	close(p.stopReaper)
	<-p.reaperDone
	for _, s := range idle {
		p.discard(s)
	}
	if err := p.db.Close(); err != nil {
		return fmt.Errorf("hranapeer: close database: %w", err)
	}
	return nil
}

// OpenStreams reports how many streams are open.
func (p *Peer) OpenStreams() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// ServeHTTP answers POST /v2/pipeline and /v3/pipeline, and GET /v2, /v3
// and /health.
func (p *Peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v2", "/v3", "/health":
		if r.Method != http.MethodGet {
			writeHTTPError(w, http.StatusMethodNotAllowed, "", "hranapeer: method not allowed")
			return
		}
		w.WriteHeader(http.StatusOK)
	case "/v2/pipeline", "/v3/pipeline":
		if r.Method != http.MethodPost {
			writeHTTPError(w, http.StatusMethodNotAllowed, "", "hranapeer: method not allowed")
			return
		}
		if !p.authorized(r) {
			writeHTTPError(w, http.StatusUnauthorized, "UNAUTHORIZED", "hranapeer: missing or wrong bearer token")
			return
		}
		p.pipeline(w, r)
	default:
		writeHTTPError(w, http.StatusNotFound, "", "hranapeer: no such endpoint "+r.URL.Path)
	}
}

func (p *Peer) authorized(r *http.Request) bool {
	if p.token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(p.token)) == 1
}

// pipeline runs one pipeline request on its stream: the one its baton names,
// or a new one.
func (p *Peer) pipeline(w http.ResponseWriter, r *http.Request) {
	var req pipelineRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		writeHTTPError(w, http.StatusBadRequest, "PROTO_ERROR", "hranapeer: decode pipeline request: "+err.Error())
		return
	}
	ctx := r.Context()
	var s *stream
	if req.Baton != nil && *req.Baton != "" {
		if s = p.take(*req.Baton); s == nil {
			writeHTTPError(w, http.StatusBadRequest, "STREAM_EXPIRED", "hranapeer: stream expired or baton invalid")
			return
		}
	} else {
		var err error
		if s, err = p.newStream(ctx); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, errTooManyStreams) || errors.Is(err, ErrClosed) {
				status = http.StatusServiceUnavailable
			}
			writeHTTPError(w, status, "", err.Error())
			return
		}
	}

	resp := pipelineResponse{Results: make([]streamResult, 0, len(req.Requests))}
	closed := false
	for _, sr := range req.Requests {
		if closed {
			resp.Results = append(resp.Results, errorResult(&wireError{
				Message: "hranapeer: stream closed by an earlier request", Code: "STREAM_CLOSED"}))
			continue
		}
		if sr.Type == "close" {
			closed = true
			resp.Results = append(resp.Results, okResult("close", nil))
			continue
		}
		resp.Results = append(resp.Results, s.handle(ctx, sr))
	}
	if closed {
		p.discard(s)
	} else if baton := p.putBack(s); baton != "" {
		resp.Baton = &baton
	}

	body, err := json.Marshal(resp)
	if err != nil {
		// Only a value without a JSON form (an infinite float) gets here.
		p.log.Error("hranapeer: encode pipeline response", "err", err)
		writeHTTPError(w, http.StatusInternalServerError, "", "hranapeer: encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// newStream opens a stream on a connection of its own.
func (p *Peer) newStream(ctx context.Context) (*stream, error) {
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return nil, ErrClosed
	case p.open >= p.maxStreams:
		p.mu.Unlock()
		return nil, errTooManyStreams
	}
	p.open++
	p.mu.Unlock()
	conn, err := p.db.Conn(ctx)
	if err != nil {
		p.mu.Lock()
		p.open--
		p.mu.Unlock()
		return nil, fmt.Errorf("hranapeer: open stream: %w", err)
	}
	return &stream{conn: conn}, nil
}

// take removes the stream named by baton from the idle set for one request,
// or returns nil if there is none (expired, closed, or a stale baton).
func (p *Peer) take(baton string) *stream {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.idle[baton]
	delete(p.idle, baton)
	return s
}

// putBack returns s to the idle set under a new baton, or closes it and
// returns "" if the peer was closed meanwhile.
func (p *Peer) putBack(s *stream) string {
	var b [16]byte
	rand.Read(b[:])
	baton := hex.EncodeToString(b[:])
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.discard(s)
		return ""
	}
	s.lastUsed = p.now()
	p.idle[baton] = s
	p.mu.Unlock()
	return baton
}

// discard closes s's connection; SQLite rolls back a transaction left open.
func (p *Peer) discard(s *stream) {
	if err := s.conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		p.log.Warn("hranapeer: close stream", "err", err)
	}
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
}

// reaper expires idle streams until Close.
func (p *Peer) reaper() {
	defer close(p.reaperDone)
	every := min(max(p.ttl/4, 10*time.Millisecond), 5*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stopReaper:
			return
		case <-t.C:
			p.reap()
		}
	}
}

// reap closes the streams idle for longer than the TTL and returns how many.
func (p *Peer) reap() int {
	now := p.now()
	var expired []*stream
	p.mu.Lock()
	for baton, s := range p.idle {
		if now.Sub(s.lastUsed) > p.ttl {
			expired = append(expired, s)
			delete(p.idle, baton)
		}
	}
	p.mu.Unlock()
	for _, s := range expired {
		p.discard(s)
	}
	if len(expired) > 0 {
		p.log.Debug("hranapeer: expired idle streams", "n", len(expired))
	}
	return len(expired)
}

// handle runs one request other than close on s.
func (s *stream) handle(ctx context.Context, sr streamRequest) streamResult {
	switch sr.Type {
	case "execute":
		if sr.Stmt == nil {
			return errorResult(protoError("execute without stmt"))
		}
		res, werr := s.execute(ctx, sr.Stmt)
		if werr != nil {
			return errorResult(werr)
		}
		return okResult("execute", res)
	case "batch":
		if sr.Batch == nil {
			return errorResult(protoError("batch without batch"))
		}
		res, werr := s.batch(ctx, sr.Batch)
		if werr != nil {
			return errorResult(werr)
		}
		return okResult("batch", res)
	case "sequence":
		text, werr := s.sqlText(sr.SQL, sr.SQLID)
		if werr != nil {
			return errorResult(werr)
		}
		if _, err := s.conn.ExecContext(ctx, text); err != nil {
			return errorResult(sqlError(err))
		}
		return okResult("sequence", nil)
	case "store_sql":
		if sr.SQL == nil || sr.SQLID == nil {
			return errorResult(protoError("store_sql needs sql and sql_id"))
		}
		if s.sqls == nil {
			s.sqls = map[int32]string{}
		}
		s.sqls[*sr.SQLID] = *sr.SQL
		return okResult("store_sql", nil)
	case "close_sql":
		if sr.SQLID == nil {
			return errorResult(protoError("close_sql needs sql_id"))
		}
		delete(s.sqls, *sr.SQLID)
		return okResult("close_sql", nil)
	case "describe", "get_autocommit":
		return errorResult(&wireError{Message: "hranapeer: " + sr.Type + " is not supported by this test peer", Code: "NOT_SUPPORTED"})
	default:
		return errorResult(protoError(fmt.Sprintf("unknown request type %q", sr.Type)))
	}
}

// sqlText returns the SQL given inline or stored under id.
func (s *stream) sqlText(text *string, id *int32) (string, *wireError) {
	switch {
	case text != nil && id != nil:
		return "", protoError("both sql and sql_id given")
	case text != nil:
		return *text, nil
	case id != nil:
		t, ok := s.sqls[*id]
		if !ok {
			return "", &wireError{Message: fmt.Sprintf("hranapeer: no SQL stored as %d", *id), Code: "SQL_NOT_FOUND"}
		}
		return t, nil
	}
	return "", protoError("neither sql nor sql_id given")
}

// execute runs one statement and reports its rows (if wanted), the rows it
// changed and the last inserted rowid.
func (s *stream) execute(ctx context.Context, st *stmt) (*stmtResult, *wireError) {
	text, werr := s.sqlText(st.SQL, st.SQLID)
	if werr != nil {
		return nil, werr
	}
	args := make([]any, 0, len(st.Args)+len(st.NamedArgs))
	for _, a := range st.Args {
		args = append(args, a.v)
	}
	for _, a := range st.NamedArgs {
		// Hrana names may carry SQLite's prefix (:, @, $); modernc.org/sqlite
		// matches a name without it against any prefix.
		name := strings.TrimLeft(a.Name, ":@$")
		args = append(args, sql.Named(name, a.Value.v))
	}

	// total_changes() before and after tells whether this statement changed
	// anything; changes() alone still reports the last write's count after a
	// SELECT.
	var before int64
	if err := s.conn.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
		return nil, sqlError(err)
	}
	res := &stmtResult{Cols: []col{}, Rows: [][]value{}}
	if st.WantRows == nil || *st.WantRows {
		if werr := s.query(ctx, res, text, args); werr != nil {
			return nil, werr
		}
	} else if _, err := s.conn.ExecContext(ctx, text, args...); err != nil {
		return nil, sqlError(err)
	}
	var changes, total, rowid int64
	if err := s.conn.QueryRowContext(ctx, "SELECT changes(), total_changes(), last_insert_rowid()").
		Scan(&changes, &total, &rowid); err != nil {
		return nil, sqlError(err)
	}
	if total != before {
		res.AffectedRowCount = changes
	}
	id := fmt.Sprint(rowid)
	res.LastInsertRowID = &id
	return res, nil
}

// query runs text and fills res's columns and rows.
func (s *stream) query(ctx context.Context, res *stmtResult, text string, args []any) *wireError {
	rows, err := s.conn.QueryContext(ctx, text, args...)
	if err != nil {
		return sqlError(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return sqlError(err)
	}
	for _, t := range types {
		c := col{Name: new(t.Name())}
		if d := t.DatabaseTypeName(); d != "" {
			c.Decltype = &d
		}
		res.Cols = append(res.Cols, c)
	}
	dest := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return sqlError(err)
		}
		row := make([]value, len(dest))
		for i, v := range dest {
			row[i] = value{v}
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return sqlError(err)
	}
	return nil
}

// batch runs the steps whose conditions hold, in order; a failed step does
// not stop the batch, only the steps conditioned on it.
func (s *stream) batch(ctx context.Context, b *batch) (*batchResult, *wireError) {
	res := &batchResult{
		StepResults: make([]*stmtResult, len(b.Steps)),
		StepErrors:  make([]*wireError, len(b.Steps)),
	}
	for i, step := range b.Steps {
		run, werr := res.holds(step.Condition, i)
		if werr != nil {
			return nil, werr
		}
		if run {
			res.StepResults[i], res.StepErrors[i] = s.execute(ctx, &step.Stmt)
		}
	}
	return res, nil
}

// holds evaluates c for step i; a nil condition always holds.
func (res *batchResult) holds(c *batchCond, i int) (bool, *wireError) {
	if c == nil {
		return true, nil
	}
	switch c.Type {
	case "ok", "error":
		if c.Step == nil || *c.Step < 0 || *c.Step >= i {
			return false, protoError(fmt.Sprintf("batch step %d: condition on step %v, not an earlier one", i, c.Step))
		}
		if c.Type == "ok" {
			return res.StepResults[*c.Step] != nil, nil
		}
		return res.StepErrors[*c.Step] != nil, nil
	case "not":
		if c.Cond == nil {
			return false, protoError("not condition without cond")
		}
		ok, werr := res.holds(c.Cond, i)
		return !ok, werr
	case "and", "or":
		for _, sub := range c.Conds {
			ok, werr := res.holds(&sub, i)
			if werr != nil {
				return false, werr
			}
			if ok == (c.Type == "or") {
				return ok, nil
			}
		}
		return c.Type == "and", nil
	case "is_autocommit":
		return false, &wireError{Message: "hranapeer: is_autocommit conditions are not supported by this test peer", Code: "NOT_SUPPORTED"}
	}
	return false, protoError(fmt.Sprintf("unknown condition type %q", c.Type))
}

func okResult(typ string, result any) streamResult {
	return streamResult{Type: "ok", Response: &streamResponse{Type: typ, Result: result}}
}

func errorResult(e *wireError) streamResult { return streamResult{Type: "error", Error: e} }

func protoError(msg string) *wireError {
	return &wireError{Message: "hranapeer: " + msg, Code: "PROTO_ERROR"}
}

// sqlError turns a database error into a Hrana error whose code names
// SQLite's primary result code.
func sqlError(err error) *wireError {
	e := &wireError{Message: err.Error(), Code: "SQLITE_ERROR"}
	var se *sqlite.Error
	if errors.As(err, &se) {
		if s, ok := sqlite.ErrorCodeString[se.Code()&0xff]; ok {
			if i := strings.LastIndex(s, "(SQLITE_"); i >= 0 && strings.HasSuffix(s, ")") {
				e.Code = s[i+1 : len(s)-1]
			}
		}
	}
	return e
}

func writeHTTPError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(httpError{Error: msg, Message: msg, Code: code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
