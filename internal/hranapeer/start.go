package hranapeer

import (
	"net/http/httptest"
	"testing"
)

// Start serves a peer on the SQLite file at dbPath from an httptest server
// on 127.0.0.1 and returns its URL (http://127.0.0.1:PORT), which
// store.Open and libsql-client-go take as they are. A non-empty token is
// required as a bearer token. Server and peer close when the test ends,
// after cleanups registered later (the test's database pools) have run.
func Start(t testing.TB, dbPath, token string, opts ...Option) string {
	t.Helper()
	p, err := New(dbPath, append([]Option{WithToken(token)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL
}
