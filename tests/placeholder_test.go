package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlaceholders uploads the repository's test images in one request to a
// server with real workers: every image ends traced, its placeholder is
// byte for byte what tracecore produces directly with the image's stored
// options, and its original comes back unchanged.
func TestPlaceholders(t *testing.T) {
	s := startServer(t, serveOpts{workers: 2})

	paths, err := filepath.Glob("../tracecore/testdata/images/*")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var (
		parts []part
		files = map[string][]byte{}
	)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		name := filepath.Base(p)
		files[name] = b
		parts = append(parts, filePart(name, b), textPart("title", name))
	}
	imgs := s.upload(t, parts...)
	require.Len(t, imgs, len(paths))
	ids := make([]string, len(imgs))
	for i, img := range imgs {
		ids[i] = img.ID
		require.NotNil(t, img.Created)
		assert.True(t, *img.Created)
	}
	s.waitTraced(t, traceWithin, ids...)

	for _, up := range imgs {
		name := up.Title
		t.Run(name, func(t *testing.T) {
			data := files[name]
			img := s.image(t, up.ID)
			require.Equal(t, "traced", img.Status)
			sum := sha256.Sum256(data)
			assert.Equal(t, hex.EncodeToString(sum[:]), img.ContentHash)
			assert.Equal(t, int64(len(data)), img.Bytes)

			want := expectedSVG(t, data, img.Options)
			resp, body := s.get(t, "/api/images/"+up.ID+"/placeholder.svg")
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			assert.Equal(t, want, string(body), "placeholder differs from tracecore's with options %s", img.Options)
			assert.Equal(t, want, img.SVG)
			assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
			assert.Equal(t, "default-src 'none'", resp.Header.Get("Content-Security-Policy"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			assert.NotEmpty(t, resp.Header.Get("ETag"))

			resp, body = s.get(t, "/api/images/"+up.ID+"/original")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, data, body)
			assert.Equal(t, `"`+img.ContentHash+`"`, resp.Header.Get("ETag"))
			assert.Equal(t, img.MIME, resp.Header.Get("Content-Type"))

			assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, up.ID))
			assert.Equal(t, map[string]int{"completed": 1}, s.jobStates(t, up.ID))
		})
	}
}
