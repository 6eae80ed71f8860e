package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUploads uploads from many clients at once against one
// server with two workers.
func TestConcurrentUploads(t *testing.T) {
	s := startServer(t, serveOpts{workers: 2})

	t.Run("DistinctImages", func(t *testing.T) {
		const clients, each = 20, 10
		bodies := make([][]byte, clients*each)
		for i := range bodies {
			bodies[i] = shapePNG(t, i)
		}
		ids := make([]string, len(bodies))
		errs := make([]error, len(bodies))
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				for k := range each {
					i := c*each + k
					ids[i], errs[i] = uploadOne(s, fmt.Sprintf("shape-%d.png", i), bodies[i], true)
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, err := range errs {
			require.NoError(t, err, "upload %d", i)
			require.False(t, seen[ids[i]], "upload %d got image %s again", i, ids[i])
			seen[ids[i]] = true
		}
		s.waitTraced(t, traceWithin, ids...)

		n := len(bodies)
		assert.Equal(t, n, s.count(t, `SELECT count(*) FROM images WHERE status = 'traced'`))
		assert.Equal(t, n, s.count(t, `SELECT count(*) FROM events WHERE type = 'traced'`))
		assert.Equal(t, n, s.count(t, `SELECT count(DISTINCT image_id) FROM events WHERE type = 'traced'`))
		assert.Equal(t, n, s.count(t, `SELECT count(*) FROM river_job WHERE kind = 'trace' AND state = 'completed'`))
		assert.Equal(t, n, s.count(t, `SELECT count(DISTINCT json_extract(args, '$.image_id')) FROM river_job
			WHERE kind = 'trace' AND state = 'completed'`))
		assert.Equal(t, n, s.count(t, `SELECT count(*) FROM river_job`), "a job was retried or replaced")
		assert.Zero(t, s.count(t, `SELECT count(*) FROM river_job
			WHERE state IN ('running', 'available', 'retryable', 'scheduled', 'pending')`))

		// The API lists each image once, newest first, across pages.
		listed := map[string]bool{}
		cursor := ""
		for page := 0; page < 10; page++ {
			resp, body := s.get(t, "/api/images?limit=64&cursor="+cursor)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			var list struct {
				Images []imageJSON `json:"images"`
				Next   string      `json:"next"`
			}
			require.NoError(t, json.Unmarshal(body, &list))
			for _, img := range list.Images {
				require.False(t, listed[img.ID], "image %s listed twice", img.ID)
				listed[img.ID] = true
				assert.Equal(t, "traced", img.Status)
			}
			if cursor = list.Next; cursor == "" {
				break
			}
		}
		assert.Len(t, listed, n)
	})

	t.Run("SameBytes", func(t *testing.T) {
		const clients = 20
		body := shapePNG(t, 1600) // not among DistinctImages'
		ids := make([]string, clients)
		created := make([]bool, clients)
		errs := make([]error, clients)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				<-start
				var img imageJSON
				img, errs[c] = uploadImage(s, "same.png", body)
				ids[c] = img.ID
				created[c] = img.Created != nil && *img.Created
			})
		}
		close(start)
		wg.Wait()
		nCreated := 0
		for c := range clients {
			require.NoError(t, errs[c], "client %d", c)
			assert.Equal(t, ids[0], ids[c], "client %d", c)
			if created[c] {
				nCreated++
			}
		}
		assert.Equal(t, 1, nCreated, "exactly one answer has created=true")
		id := ids[0]
		s.waitTraced(t, traceWithin, id)
		assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM images WHERE content_hash = ?`, s.image(t, id).ContentHash))
		assert.Equal(t, map[string]int{"completed": 1}, s.jobStates(t, id))
		assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'traced'`, id))
		assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'image.added'`, id))
	})
}

// uploadImage uploads one file; for goroutines, it returns errors rather
// than failing the test.
func uploadImage(s *server, name string, data []byte) (imageJSON, error) {
	ct, body, err := encodeMultipart(filePart(name, data))
	if err != nil {
		return imageJSON{}, err
	}
	status, out, err := s.tryPost("/api/images", ct, body)
	if err != nil {
		return imageJSON{}, err
	}
	if status != http.StatusAccepted {
		return imageJSON{}, fmt.Errorf("status %d: %s", status, out)
	}
	var a uploadAnswer
	if err := json.Unmarshal(out, &a); err != nil || len(a.Images) != 1 {
		return imageJSON{}, fmt.Errorf("answer %s: %v", out, err)
	}
	return a.Images[0], nil
}

// uploadOne is uploadImage returning the ID, and an error unless the image
// was created (wantCreated) or found.
func uploadOne(s *server, name string, data []byte, wantCreated bool) (string, error) {
	img, err := uploadImage(s, name, data)
	if err != nil {
		return "", err
	}
	if img.Created == nil || *img.Created != wantCreated {
		return img.ID, fmt.Errorf("%s: created %v, want %v", name, img.Created, wantCreated)
	}
	return img.ID, nil
}
