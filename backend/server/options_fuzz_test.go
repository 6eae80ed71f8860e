package server

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

// FuzzOptions checks the upload's options parser on any bytes: it either
// refuses them with a 400, or returns valid options whose canonical key is a
// fixed point (parsing the key again gives the same key and options), so
// equal options are always one image.
func FuzzOptions(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"turdsize": 2}`, `{"threshold": "auto", "color": "#abc"}`,
		`{"steps": 4, "fillstrategy": "mean"}`, `{"maxpixels": 1e3}`, `{"opaque": true}`,
		`{"thresholds": [0.3, 0.6], "steps": 2}`, `{"turdsize": 1.5}`, `{"nope": 1}`,
		`{"maxside": 400, "maxside": 0}`, `{"precision": 7}`, `{"alphamax": -1}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Server{cfg: Config{MaxPixels: tracecore.DefaultMaxPixels}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, key, err := s.options(raw)
		if err != nil {
			var ae *apiError
			require.True(t, errors.As(err, &ae), "untyped error %v", err)
			require.Equal(t, http.StatusBadRequest, ae.status)
			return
		}
		require.NoError(t, o.Validate())
		o2, key2, err := s.options([]byte(key))
		require.NoError(t, err, "the key %s does not parse again", key)
		require.Equal(t, key, key2)
		require.Equal(t, o, o2)
	})
}
