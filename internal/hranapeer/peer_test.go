package hranapeer

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tursodatabase/libsql-client-go/libsql"
)

// setup starts a peer on a fresh file and returns it with its URL.
func setup(t *testing.T, opts ...Option) (*Peer, string) {
	t.Helper()
	p, err := New(filepath.Join(t.TempDir(), "peer.db"), opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, p.Close())
	})
	return p, srv.URL
}

// client opens a libsql-client-go pool on url, as store.Open does.
func client(t *testing.T, url, token string) *sql.DB {
	t.Helper()
	var opts []libsql.Option
	if token != "" {
		opts = append(opts, libsql.WithAuthToken(token))
	}
	conn, err := libsql.NewConnector(url, opts...)
	require.NoError(t, err)
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

// post sends one pipeline request and decodes the answer into a generic map.
func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(url+"/v2/pipeline", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

func exec(sql string, args ...any) map[string]any {
	vals := []any{}
	for _, a := range args {
		vals = append(vals, a)
	}
	return map[string]any{"type": "execute", "stmt": map[string]any{"sql": sql, "args": vals, "want_rows": true}}
}

// result digs the execute result of request i out of a pipeline response.
func result(t *testing.T, resp map[string]any, i int) map[string]any {
	t.Helper()
	r := resp["results"].([]any)[i].(map[string]any)
	require.Equal(t, "ok", r["type"], "%v", r)
	return r["response"].(map[string]any)["result"].(map[string]any)
}

func TestPeerWire(t *testing.T) {
	_, url := setup(t)

	t.Run("ValuesAndBatons", func(t *testing.T) {
		code, resp := post(t, url, map[string]any{"requests": []any{
			exec(`CREATE TABLE v (i INTEGER, f REAL, s TEXT, b BLOB, n)`),
			exec(`INSERT INTO v VALUES (?, ?, ?, ?, ?)`,
				map[string]any{"type": "integer", "value": "9007199254740993"},
				map[string]any{"type": "float", "value": 1.5},
				map[string]any{"type": "text", "value": "héllo"},
				map[string]any{"type": "blob", "base64": "AAEC/w"},
				map[string]any{"type": "null"}),
			exec(`SELECT i, f, s, b, n FROM v`),
		}})
		require.Equal(t, http.StatusOK, code)
		baton, ok := resp["baton"].(string)
		require.True(t, ok, "an open stream has a baton")
		require.NotEmpty(t, baton)

		ins := result(t, resp, 1)
		assert.EqualValues(t, 1, ins["affected_row_count"])
		assert.Equal(t, "1", ins["last_insert_rowid"], "rowid as a string")

		sel := result(t, resp, 2)
		cols := sel["cols"].([]any)
		require.Len(t, cols, 5)
		assert.Equal(t, map[string]any{"name": "i", "decltype": "INTEGER"}, cols[0])
		assert.Equal(t, map[string]any{"name": "n", "decltype": nil}, cols[4])
		assert.EqualValues(t, 0, sel["affected_row_count"], "a SELECT changes nothing")
		assert.Equal(t, []any{
			map[string]any{"type": "integer", "value": "9007199254740993"}, // a string: no float rounding
			map[string]any{"type": "float", "value": 1.5},
			map[string]any{"type": "text", "value": "héllo"},
			map[string]any{"type": "blob", "base64": "AAEC/w"}, // unpadded
			map[string]any{"type": "null"},
		}, sel["rows"].([]any)[0])

		// The baton is good once: the answer brings a new one.
		code, resp2 := post(t, url, map[string]any{"baton": baton, "requests": []any{exec(`SELECT 1`)}})
		require.Equal(t, http.StatusOK, code)
		next := resp2["baton"].(string)
		assert.NotEqual(t, baton, next)
		code, stale := post(t, url, map[string]any{"baton": baton, "requests": []any{exec(`SELECT 1`)}})
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "STREAM_EXPIRED", stale["code"])
		assert.NotEmpty(t, stale["error"], "libsql-client-go reads the message from \"error\"")

		// Close ends the stream: null baton, and the baton is dead.
		code, closed := post(t, url, map[string]any{"baton": next, "requests": []any{
			map[string]any{"type": "close"}, exec(`SELECT 1`)}})
		require.Equal(t, http.StatusOK, code)
		assert.Nil(t, closed["baton"])
		assert.Equal(t, "error", closed["results"].([]any)[1].(map[string]any)["type"])
		code, _ = post(t, url, map[string]any{"baton": next, "requests": []any{exec(`SELECT 1`)}})
		assert.Equal(t, http.StatusBadRequest, code)
	})

	t.Run("BatchConditions", func(t *testing.T) {
		// The shape libsql-client-go sends for a multi-statement string: each
		// step runs if the previous was ok, a ROLLBACK if the last was not.
		step := func(i int) map[string]any { return map[string]any{"type": "ok", "step": i} }
		_, resp := post(t, url, map[string]any{"requests": []any{
			exec(`CREATE TABLE bc (x INTEGER PRIMARY KEY)`),
			exec(`BEGIN`),
			map[string]any{"type": "batch", "batch": map[string]any{"steps": []any{
				map[string]any{"stmt": map[string]any{"sql": "INSERT INTO bc VALUES (1)"}},
				map[string]any{"stmt": map[string]any{"sql": "INSERT INTO bc VALUES (1)"}, "condition": step(0)},
				map[string]any{"stmt": map[string]any{"sql": "INSERT INTO bc VALUES (2)"}, "condition": step(1)},
				map[string]any{"stmt": map[string]any{"sql": "ROLLBACK"}, "condition": map[string]any{"type": "not", "cond": step(2)}},
				map[string]any{"stmt": map[string]any{"sql": "SELECT 1"}, "condition": map[string]any{"type": "or", "conds": []any{
					map[string]any{"type": "error", "step": 1}, step(2)}}},
				map[string]any{"stmt": map[string]any{"sql": "SELECT 1"}, "condition": map[string]any{"type": "and", "conds": []any{
					map[string]any{"type": "error", "step": 1}, step(2)}}},
			}}},
			exec(`SELECT count(*) FROM bc`),
		}})
		b := result(t, resp, 2)
		results, errs := b["step_results"].([]any), b["step_errors"].([]any)
		require.Len(t, results, 6)
		assert.NotNil(t, results[0])
		assert.Nil(t, results[1])
		assert.Contains(t, errs[1].(map[string]any)["message"], "UNIQUE constraint failed")
		assert.Equal(t, "SQLITE_CONSTRAINT", errs[1].(map[string]any)["code"])
		assert.Nil(t, results[2], "skipped")
		assert.Nil(t, errs[2], "skipped")
		assert.NotNil(t, results[3], "rollback ran")
		assert.NotNil(t, results[4], "or")
		assert.Nil(t, results[5], "and")
		assert.Equal(t, []any{map[string]any{"type": "integer", "value": "0"}},
			result(t, resp, 3)["rows"].([]any)[0], "the rollback undid step 0")

		_, bad := post(t, url, map[string]any{"requests": []any{
			map[string]any{"type": "batch", "batch": map[string]any{"steps": []any{
				map[string]any{"stmt": map[string]any{"sql": "SELECT 1"}, "condition": step(0)},
			}}}}})
		r := bad["results"].([]any)[0].(map[string]any)
		assert.Equal(t, "error", r["type"], "a condition on a later step is refused")
	})

	t.Run("StoredSQLSequenceNamedArgs", func(t *testing.T) {
		_, resp := post(t, url, map[string]any{"requests": []any{
			map[string]any{"type": "sequence", "sql": "CREATE TABLE sq (a, b); INSERT INTO sq VALUES (1, 2);"},
			map[string]any{"type": "store_sql", "sql_id": 7, "sql": "SELECT a + b, :x || $y FROM sq"},
			map[string]any{"type": "execute", "stmt": map[string]any{"sql_id": 7, "named_args": []any{
				map[string]any{"name": ":x", "value": map[string]any{"type": "text", "value": "p"}},
				map[string]any{"name": "y", "value": map[string]any{"type": "text", "value": "q"}},
			}}},
			map[string]any{"type": "close_sql", "sql_id": 7},
			map[string]any{"type": "execute", "stmt": map[string]any{"sql_id": 7}},
			map[string]any{"type": "get_autocommit"},
			map[string]any{"type": "nonsense"},
		}})
		results := resp["results"].([]any)
		for _, i := range []int{0, 1, 3} {
			assert.Equal(t, "ok", results[i].(map[string]any)["type"], i)
		}
		assert.Equal(t, []any{
			map[string]any{"type": "integer", "value": "3"},
			map[string]any{"type": "text", "value": "pq"},
		}, result(t, resp, 2)["rows"].([]any)[0])
		for i, code := range map[int]string{4: "SQL_NOT_FOUND", 5: "NOT_SUPPORTED", 6: "PROTO_ERROR"} {
			r := results[i].(map[string]any)
			assert.Equal(t, "error", r["type"], i)
			assert.Equal(t, code, r["error"].(map[string]any)["code"], i)
		}
	})

	t.Run("Endpoints", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/v2", 200},
			{"GET", "/v3", 200},
			{"GET", "/health", 200},
			{"GET", "/v2/pipeline", 405},
			{"POST", "/v1/execute", 404},
		} {
			req, err := http.NewRequest(tc.method, url+tc.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode, "%s %s", tc.method, tc.path)
		}
		resp, err := http.Post(url+"/v2/pipeline", "application/json", bytes.NewReader([]byte(`{"requests": [`)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

func TestValueJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		json string
	}{
		{"Null", nil, `{"type":"null"}`},
		{"Integer", int64(math.MinInt64), `{"type":"integer","value":"-9223372036854775808"}`},
		{"Float", 0.0, `{"type":"float","value":0}`},
		{"EmptyText", "", `{"type":"text","value":""}`},
		{"Blob", []byte("ab"), `{"type":"blob","base64":"YWI"}`},
		{"EmptyBlob", []byte{}, `{"type":"blob","base64":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(value{tc.v})
			require.NoError(t, err)
			assert.JSONEq(t, tc.json, string(b))
			var back value
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tc.v, back.v)
		})
	}
	b, err := json.Marshal(value{time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"text","value":"2026-01-02 03:04:05.0000006+00:00"}`, string(b))
	_, err = json.Marshal(value{math.Inf(1)})
	require.Error(t, err)

	var v value
	require.NoError(t, json.Unmarshal([]byte(`{"type":"integer","value":42}`), &v), "a bare number is taken")
	assert.Equal(t, int64(42), v.v)
	require.NoError(t, json.Unmarshal([]byte(`{"type":"blob","base64":"YWI="}`), &v), "padding is taken")
	assert.Equal(t, []byte("ab"), v.v)
	for _, bad := range []string{
		`{"type":"integer","value":"1.5"}`, `{"type":"blob"}`, `{"type":"text","value":1}`, `{"type":"date"}`,
	} {
		require.Error(t, json.Unmarshal([]byte(bad), &v), bad)
	}
}

func TestPeerClient(t *testing.T) {
	ctx := context.Background()
	// recorded lists what libsql-client-go sent: path and request types.
	var (
		mu       sync.Mutex
		recorded = map[string]bool{}
	)
	p, err := New(filepath.Join(t.TempDir(), "peer.db"))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req pipelineRequest
		json.Unmarshal(body, &req)
		mu.Lock()
		for _, sr := range req.Requests {
			recorded[r.Method+" "+r.URL.Path+" "+sr.Type] = true
		}
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, p.Close())
	})
	db := client(t, srv.URL, "")
	db.SetMaxOpenConns(1)
	other := client(t, srv.URL, "")

	t.Run("Values", func(t *testing.T) {
		_, err := db.ExecContext(ctx, `CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, f REAL, s TEXT, b BLOB)`)
		require.NoError(t, err)
		res, err := db.ExecContext(ctx, `INSERT INTO v (i, f, s, b) VALUES (?, ?, ?, ?)`,
			int64(math.MaxInt64), -2.25, "", []byte{0, 1, 2, 255})
		require.NoError(t, err)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		assert.EqualValues(t, 1, id)
		_, err = db.ExecContext(ctx, `INSERT INTO v (i, s) VALUES (:i, @s)`, sql.Named("i", 7), sql.Named("s", "named"))
		require.NoError(t, err)

		var (
			i int64
			f float64
			s string
			b []byte
		)
		require.NoError(t, db.QueryRowContext(ctx, `SELECT i, f, s, b FROM v WHERE id = 1`).Scan(&i, &f, &s, &b))
		assert.Equal(t, int64(math.MaxInt64), i)
		assert.Equal(t, -2.25, f)
		assert.Equal(t, "", s)
		assert.Equal(t, []byte{0, 1, 2, 255}, b)
		var nf sql.NullFloat64
		require.NoError(t, db.QueryRowContext(ctx, `SELECT i, f, s FROM v WHERE id = 2`).Scan(&i, &nf, &s))
		assert.Equal(t, int64(7), i)
		assert.False(t, nf.Valid)
		assert.Equal(t, "named", s)

		res, err = db.ExecContext(ctx, `UPDATE v SET i = i - 1 WHERE i < 100`)
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
	})

	t.Run("TransactionSpansRequests", func(t *testing.T) {
		_, err := db.ExecContext(ctx, `CREATE TABLE tx (x)`)
		require.NoError(t, err)
		count := func() (n int) {
			require.NoError(t, other.QueryRowContext(ctx, `SELECT count(*) FROM tx`).Scan(&n))
			return n
		}
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO tx VALUES (1)`)
		require.NoError(t, err)
		var inside int
		require.NoError(t, tx.QueryRowContext(ctx, `SELECT count(*) FROM tx`).Scan(&inside))
		assert.Equal(t, 1, inside, "the transaction sees its own write")
		assert.Equal(t, 0, count(), "another stream does not, yet")
		require.NoError(t, tx.Commit())
		assert.Equal(t, 1, count())

		tx, err = db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO tx VALUES (2)`)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		assert.Equal(t, 1, count())
	})

	t.Run("MultiStatement", func(t *testing.T) {
		// Sent as a batch: all or nothing only inside a transaction.
		_, err := db.ExecContext(ctx, `CREATE TABLE ms (x UNIQUE); INSERT INTO ms VALUES (1); INSERT INTO ms VALUES (2)`)
		require.NoError(t, err)
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO ms VALUES (3); INSERT INTO ms VALUES (1)`)
		require.ErrorContains(t, err, "UNIQUE constraint failed")
		// The batch's own ROLLBACK step ended the transaction already.
		require.Error(t, tx.Commit())
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM ms`).Scan(&n))
		assert.Equal(t, 2, n)
	})

	t.Run("StreamsClose", func(t *testing.T) {
		// database/sql resets a connection before reuse, and the client
		// closes its stream then; closing the pool closes the last one.
		extra := client(t, srv.URL, "")
		for range 5 {
			_, err := extra.ExecContext(ctx, `SELECT 1`)
			require.NoError(t, err)
		}
		require.NoError(t, extra.Close())
		require.NoError(t, db.Close())
		require.NoError(t, other.Close())
		require.Eventually(t, func() bool { return p.OpenStreams() == 0 }, 5*time.Second, 5*time.Millisecond)
	})

	var got []string
	for k := range recorded {
		got = append(got, k)
	}
	sort.Strings(got)
	t.Logf("libsql-client-go sent: %v", got)
	assert.Equal(t, []string{"POST /v2/pipeline batch", "POST /v2/pipeline close", "POST /v2/pipeline execute"}, got)
}

func TestPeerToken(t *testing.T) {
	ctx := context.Background()
	_, url := setup(t, WithToken("s3cret"))
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"Right", "s3cret", true},
		{"Wrong", "guess", false},
		{"Missing", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var one int
			err := client(t, url, tc.token).QueryRowContext(ctx, `SELECT 1`).Scan(&one)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "error code 401")
		})
	}
}

func TestPeerStreams(t *testing.T) {
	t.Run("IdleStreamExpiresAndRollsBack", func(t *testing.T) {
		// The reaper's own ticks cannot fire within a minute's TTL; reap is
		// called with a moved clock instead.
		p, url := setup(t, WithStreamTTL(time.Minute))
		var mu sync.Mutex
		now := time.Now()
		p.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

		_, resp := post(t, url, map[string]any{"requests": []any{
			exec(`CREATE TABLE e (x)`), exec(`BEGIN`), exec(`INSERT INTO e VALUES (1)`)}})
		baton := resp["baton"].(string)
		assert.Equal(t, 0, p.reap(), "not idle long enough")

		mu.Lock()
		now = now.Add(time.Minute + time.Second)
		mu.Unlock()
		assert.Equal(t, 1, p.reap())
		assert.Equal(t, 0, p.OpenStreams())
		code, _ := post(t, url, map[string]any{"baton": baton, "requests": []any{exec(`COMMIT`)}})
		assert.Equal(t, http.StatusBadRequest, code)

		// Rolled back, and the write lock is free for another stream.
		_, resp = post(t, url, map[string]any{"requests": []any{
			exec(`INSERT INTO e VALUES (2)`), exec(`SELECT count(*) FROM e`), map[string]any{"type": "close"}}})
		assert.Equal(t, []any{map[string]any{"type": "integer", "value": "1"}}, result(t, resp, 1)["rows"].([]any)[0])
	})

	t.Run("Bounded", func(t *testing.T) {
		p, url := setup(t, WithMaxStreams(2))
		for range 2 {
			code, _ := post(t, url, map[string]any{"requests": []any{exec(`SELECT 1`)}})
			require.Equal(t, http.StatusOK, code)
		}
		code, resp := post(t, url, map[string]any{"requests": []any{exec(`SELECT 1`)}})
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Contains(t, resp["error"], "too many open streams")
		assert.Equal(t, 2, p.OpenStreams())
	})

	t.Run("ClosedPeer", func(t *testing.T) {
		p, url := setup(t)
		_, resp := post(t, url, map[string]any{"requests": []any{exec(`SELECT 1`)}})
		require.NotNil(t, resp["baton"])
		require.NoError(t, p.Close())
		assert.Equal(t, 0, p.OpenStreams(), "idle streams closed")
		code, _ := post(t, url, map[string]any{"requests": []any{exec(`SELECT 1`)}})
		assert.Equal(t, http.StatusServiceUnavailable, code)
		require.NoError(t, p.Close(), "twice is fine")
	})

	t.Run("SharedFile", func(t *testing.T) {
		// Two peers, client pools on each and a direct user of the file
		// write one file at once; busy_timeout makes writers wait rather
		// than fail.
		path := filepath.Join(t.TempDir(), "shared.db")
		urlA := Start(t, path, "")
		urlB := Start(t, path, "tok")
		a, b := client(t, urlA, ""), client(t, urlB, "tok")
		direct, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		require.NoError(t, err)
		t.Cleanup(func() { direct.Close() })
		_, err = a.Exec(`CREATE TABLE s (x)`)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for _, db := range []*sql.DB{a, b, direct, b} {
			wg.Go(func() {
				for i := range 25 {
					_, err := db.Exec(`INSERT INTO s VALUES (?)`, i)
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		var n int
		require.NoError(t, b.QueryRow(`SELECT count(*) FROM s`).Scan(&n))
		assert.Equal(t, 100, n)
	})

	t.Run("BadOptions", func(t *testing.T) {
		dir := t.TempDir()
		for _, tc := range []struct {
			name string
			path string
			opts []Option
		}{
			{"EmptyPath", "", nil},
			{"QueryInPath", filepath.Join(dir, "a.db?mode=ro"), nil},
			{"ZeroTTL", filepath.Join(dir, "b.db"), []Option{WithStreamTTL(0)}},
			{"ZeroStreams", filepath.Join(dir, "c.db"), []Option{WithMaxStreams(0)}},
			{"NoDirectory", filepath.Join(dir, "missing", "d.db"), nil},
		} {
			_, err := New(tc.path, tc.opts...)
			require.ErrorContains(t, err, "hranapeer: ", tc.name)
		}
	})
}
