package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/svgtrace/svgtrace/backend/originals"
)

// Originals gives a worker an image's original bytes by content hash. A
// missing original is an error wrapping originals.ErrNotFound, which fails
// the image; any other error is retried.
type Originals interface {
	Open(ctx context.Context, hash string) (io.ReadCloser, error)
}

// LocalOriginals reads originals from the server's directory: workers on the
// server's machine (the ones `svgtrace serve` starts) share its disk.
type LocalOriginals struct{ Dir *originals.Dir }

// Open opens the original's file.
func (l LocalOriginals) Open(_ context.Context, hash string) (io.ReadCloser, error) {
	return l.Dir.Open(hash)
}

// RemoteOriginals fetches originals from the server over HTTP, for workers on
// other machines: GET {BaseURL}/internal/originals/{hash} with the worker
// token as a bearer token (docs/workers.md says why originals are fetched
// rather than kept in the database).
type RemoteOriginals struct {
	BaseURL string // the server's URL, e.g. http://10.0.0.5:8080
	Token   string
	Client  *http.Client // nil: http.DefaultClient
}

// Open starts the request and returns the response body.
func (r RemoteOriginals) Open(ctx context.Context, hash string) (io.ReadCloser, error) {
	if !originals.ValidHash(hash) {
		return nil, fmt.Errorf("%w: %q", originals.ErrBadHash, hash)
	}
	u, err := url.JoinPath(r.BaseURL, "internal", "originals", hash)
	if err != nil {
		return nil, fmt.Errorf("queue: original %s: %w", hash, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("queue: original %s: %w", hash, err)
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	c := r.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("queue: fetch original %s: %w", hash, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s (server answered 404)", originals.ErrNotFound, hash)
	}
	resp.Body.Close()
	return nil, errors.New("queue: fetch original " + hash + ": server answered " + resp.Status)
}
