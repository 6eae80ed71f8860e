package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
)

// listPage is GET /api/images's answer.
type listPage struct {
	Images []apiImage `json:"images"`
	Next   string     `json:"next"`
}

func (e *env) list(t *testing.T, query string) listPage {
	t.Helper()
	resp, body := e.get(t, "/api/images"+query)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var p listPage
	require.NoError(t, json.Unmarshal(body, &p))
	return p
}

func TestList(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Seven images with backdated times, newest last; two share a
	// millisecond, which the ID orders.
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []string // newest first
	for i, offset := range []int{0, 1, 2, 3, 3, 5, 6} {
		img, created, err := e.db.InsertImage(ctx, nil, store.Image{
			ContentHash: sha([]byte{byte(i)}), OptionsKey: "{}", MIME: "image/png", Bytes: 1, Width: 1, Height: 1,
			Title:     fmt.Sprintf("image %d", i),
			CreatedAt: base.Add(time.Duration(offset) * time.Second),
		})
		require.NoError(t, err)
		require.True(t, created)
		want = append([]string{img.ID}, want...)
	}
	// Same millisecond: the larger ID first.
	if want[2] < want[3] {
		want[2], want[3] = want[3], want[2]
	}

	t.Run("All", func(t *testing.T) {
		p := e.list(t, "")
		assert.Empty(t, p.Next)
		var got []string
		for _, img := range p.Images {
			got = append(got, img.ID)
			assert.Empty(t, img.SVG, "lists link to placeholders, never inline them")
		}
		assert.Equal(t, want, got)
	})

	t.Run("Pages", func(t *testing.T) {
		for _, limit := range []int{1, 2, 3, 6, 7} {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 10, "pagination does not end")
				q := "?limit=" + strconv.Itoa(limit)
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				p := e.list(t, q)
				assert.LessOrEqual(t, len(p.Images), limit)
				for _, img := range p.Images {
					got = append(got, img.ID)
				}
				if p.Next == "" {
					break
				}
				assert.Len(t, p.Images, limit, "only the last page is short")
				cursor = p.Next
			}
			assert.Equal(t, want, got, "limit %d", limit)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		e := setup(t)
		resp, body := e.get(t, "/api/images")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"images":[]}`, string(body))
	})

	t.Run("BadQuery", func(t *testing.T) {
		for _, q := range []string{
			"?limit=0", "?limit=-1", "?limit=abc", "?limit=" + strconv.Itoa(store.MaxListLimit+1), "?limit=1.5",
			"?cursor=abc", "?cursor=12", "?cursor=.id", "?cursor=012.id", "?cursor=x.id",
		} {
			resp, body := e.get(t, "/api/images"+q)
			requireError(t, resp, body, http.StatusBadRequest, server.CodeBadRequest)
		}
	})
}

func TestGet(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 32, 24, 1)
	up := e.upload(t, file("a.png", data), field("title", "Title"), field("alt", "Alt text"))[0]

	got := e.image(t, up.ID)
	assert.Equal(t, up.ID, got.ID)
	assert.Equal(t, store.StatusQueued, got.Status)
	assert.Equal(t, "Title", got.Title)
	assert.Equal(t, "Alt text", got.Alt)
	assert.Equal(t, "image/png", got.MIME)
	assert.Equal(t, int64(len(data)), got.Bytes)
	assert.Equal(t, 32, got.Width)
	assert.Equal(t, 24, got.Height)
	assert.Equal(t, sha(data), got.ContentHash)
	assert.JSONEq(t, string(up.Options), string(got.Options))
	assert.Equal(t, up.CreatedAt, got.CreatedAt)
	assert.Nil(t, got.TracedAt)
	assert.Nil(t, got.Created, "created is in upload answers only")
	assert.Equal(t, "/api/images/"+up.ID+"/original", got.Original)
	assert.Empty(t, got.Placeholder)
	assert.Empty(t, got.SVG)

	for _, path := range []string{
		"/api/images/nosuchimage",
		"/api/images/nosuchimage/original",
		"/api/images/nosuchimage/placeholder.svg",
		"/api/nope",
		"/api/images/" + up.ID + "/nope",
	} {
		resp, body := e.get(t, path)
		requireError(t, resp, body, http.StatusNotFound, server.CodeNotFound)
	}
}

func TestOriginal(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 32, 24, 1)
	up := e.upload(t, part{field: "file", filename: "evil.html", ctype: "text/html", body: data})[0]
	path := "/api/images/" + up.ID + "/original"
	etag := `"` + sha(data) + `"`

	t.Run("Whole", func(t *testing.T) {
		resp, body := e.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, data, body)
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"), "sniffed, not the client's")
		assert.Equal(t, etag, resp.Header.Get("ETag"))
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		assert.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
		assert.Equal(t, strconv.Itoa(len(data)), resp.Header.Get("Content-Length"))
	})

	t.Run("Range", func(t *testing.T) {
		resp, body := e.request(t, http.MethodGet, path, http.Header{"Range": {"bytes=10-19"}})
		require.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.Equal(t, data[10:20], body)
		assert.Equal(t, fmt.Sprintf("bytes 10-19/%d", len(data)), resp.Header.Get("Content-Range"))

		resp, body = e.request(t, http.MethodGet, path, http.Header{"Range": {"bytes=-8"}})
		require.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.Equal(t, data[len(data)-8:], body)

		resp, _ = e.request(t, http.MethodGet, path, http.Header{"Range": {fmt.Sprintf("bytes=%d-", len(data)+10)}})
		assert.Equal(t, http.StatusRequestedRangeNotSatisfiable, resp.StatusCode)
	})

	t.Run("IfNoneMatch", func(t *testing.T) {
		resp, body := e.request(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
		assert.Empty(t, body)

		resp, body = e.request(t, http.MethodGet, path, http.Header{"If-None-Match": {`"other"`}})
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, data, body)
	})
}

func TestPlaceholder(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 64, 48, 1)
	up := e.upload(t, file("a.png", data))[0]
	path := "/api/images/" + up.ID + "/placeholder.svg"

	resp, body := e.get(t, path)
	requireError(t, resp, body, http.StatusNotFound, server.CodeNotTraced)

	svg := e.trace(t, up, data)
	require.NotEmpty(t, svg)

	resp, body = e.get(t, path)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Equal(t, svg, string(body))
	assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
	etag := resp.Header.Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]+"$`, etag)
	assert.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
	assert.Equal(t, "default-src 'none'", resp.Header.Get("Content-Security-Policy"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	resp, body = e.request(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)

	got := e.image(t, up.ID)
	assert.Equal(t, store.StatusTraced, got.Status)
	assert.Equal(t, svg, got.SVG)
	assert.Equal(t, path, got.Placeholder)
	require.NotNil(t, got.TracedAt)
	assert.JSONEq(t, `{"traceMillis":12.5}`, string(got.Stats))

	// Lists link to the placeholder without the markup.
	p := e.list(t, "")
	require.Len(t, p.Images, 1)
	assert.Equal(t, path, p.Images[0].Placeholder)
	assert.Empty(t, p.Images[0].SVG)

	t.Run("Failed", func(t *testing.T) {
		ctx := context.Background()
		up := e.upload(t, file("b.png", pngImage(t, 20, 20, 2)))[0]
		attempt, err := e.db.ClaimAttempt(ctx, up.ID)
		require.NoError(t, err)
		require.NoError(t, e.db.FailTrace(ctx, up.ID, attempt, "it broke"))
		resp, body := e.get(t, "/api/images/"+up.ID+"/placeholder.svg")
		requireError(t, resp, body, http.StatusNotFound, server.CodeNotTraced)
		assert.Contains(t, string(body), "it broke")
		got := e.image(t, up.ID)
		assert.Equal(t, store.StatusFailed, got.Status)
		assert.Equal(t, "it broke", got.Error)
	})
}

func TestDelete(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 20, 20, 1)
	a := e.upload(t, file("a.png", data))[0]
	b := e.upload(t, file("a.png", data), field("options", `{"turdsize":3}`))[0]
	require.NotEqual(t, a.ID, b.ID)
	original := []string{a.ContentHash[:2] + "/" + a.ContentHash}
	del := func(id string) (*http.Response, []byte) {
		return e.request(t, http.MethodDelete, "/api/images/"+id, nil)
	}

	resp, body := del(a.ID)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", body)
	assert.Empty(t, body)
	resp, body = e.get(t, "/api/images/"+a.ID)
	requireError(t, resp, body, http.StatusNotFound, server.CodeNotFound)
	resp, body = del(a.ID)
	requireError(t, resp, body, http.StatusNotFound, server.CodeNotFound)
	assert.Equal(t, 1, e.count(t, `SELECT count(*) FROM events WHERE type = ? AND image_id = ?`, store.EventImageDeleted, a.ID))
	assert.Equal(t, original, e.files(t), "b still uses the original")

	// b's original is still served.
	resp, got := e.get(t, "/api/images/"+b.ID+"/original")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, data, got)

	resp, _ = del(b.ID)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, e.files(t), "the last image took its original with it, and nothing is left in tmp/")
	assert.Equal(t, 2, e.events(t, store.EventImageDeleted))
	assert.Zero(t, e.images(t))

	// The same bytes uploaded again are a new image with the original back.
	c := e.upload(t, file("a.png", data))[0]
	assert.True(t, *c.Created)
	assert.NotEqual(t, a.ID, c.ID)
	assert.Equal(t, original, e.files(t))
	resp, got = e.get(t, "/api/images/"+c.ID+"/original")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, data, got)
}
