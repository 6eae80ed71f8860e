package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/tracecore"
)

func TestUpload(t *testing.T) {
	t.Run("One", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 40, 30, 1)
		// The client's type and name say JPEG; the bytes say PNG.
		imgs := e.upload(t, part{field: "file", filename: "photo.jpg", ctype: "image/jpeg", body: data})
		require.Len(t, imgs, 1)
		img := imgs[0]
		require.NotNil(t, img.Created)
		assert.True(t, *img.Created)
		assert.NotEmpty(t, img.ID)
		assert.Equal(t, store.StatusQueued, img.Status)
		assert.Equal(t, "image/png", img.MIME)
		assert.Equal(t, 40, img.Width)
		assert.Equal(t, 30, img.Height)
		assert.Equal(t, int64(len(data)), img.Bytes)
		assert.Equal(t, sha(data), img.ContentHash)
		assert.Equal(t, "/api/images/"+img.ID+"/original", img.Original)
		assert.Empty(t, img.Placeholder)
		assert.False(t, img.CreatedAt.IsZero())

		assert.Equal(t, 1, e.images(t))
		assert.Equal(t, 1, e.jobs(t))
		var args string
		require.NoError(t, e.db.QueryRowContext(context.Background(),
			`SELECT json(args) FROM river_job WHERE kind = 'trace' AND queue = ?`, queue.QueueName).Scan(&args))
		var ta queue.TraceArgs
		require.NoError(t, json.Unmarshal([]byte(args), &ta))
		assert.Equal(t, img.ID, ta.ImageID)
		assert.Equal(t, 1, e.count(t, `SELECT count(*) FROM events WHERE type = ? AND image_id = ?`, store.EventImageAdded, img.ID))
		assert.Equal(t, []string{img.ContentHash[:2] + "/" + img.ContentHash}, e.files(t), "the original, and nothing left in tmp/")
	})

	t.Run("Several", func(t *testing.T) {
		e := setup(t)
		data := [][]byte{pngImage(t, 20, 20, 1), pngImage(t, 20, 20, 2), pngImage(t, 24, 16, 3)}
		imgs := e.upload(t,
			field("title", "First"), field("alt", "the first"),
			file("a.png", data[0]),
			field("title", "Second"), field("alt", "the second"),
			file("b.png", data[1]),
			file("c.png", data[2]),
		)
		require.Len(t, imgs, 3)
		want := []struct{ title, alt string }{{"First", "the first"}, {"Second", "the second"}, {"", ""}}
		ids := map[string]bool{}
		for i, img := range imgs {
			assert.True(t, *img.Created)
			assert.Equal(t, sha(data[i]), img.ContentHash, "the i-th image is the i-th file")
			assert.Equal(t, want[i].title, img.Title)
			assert.Equal(t, want[i].alt, img.Alt)
			got := e.image(t, img.ID)
			assert.Equal(t, want[i].title, got.Title)
			assert.Equal(t, want[i].alt, got.Alt)
			ids[img.ID] = true
		}
		assert.Len(t, ids, 3)
		assert.Equal(t, 24, imgs[2].Width)
		assert.Equal(t, 3, e.images(t))
		assert.Equal(t, 3, e.jobs(t))
		assert.Equal(t, 3, e.events(t, store.EventImageAdded))
		assert.Len(t, e.files(t), 3)
	})

	t.Run("OptionsOverPreset", func(t *testing.T) {
		e := setup(t)
		img := e.upload(t, file("a.png", pngImage(t, 20, 20, 1)),
			field("options", `{"turdsize": 5, "invert": true, "maxpixels": 1000000}`))[0]
		var got tracecore.Options
		require.NoError(t, json.Unmarshal(e.image(t, img.ID).Options, &got))
		want := tracecore.PlaceholderOptions()
		want.TurdSize = 5
		want.Invert = true
		want.MaxPixels = 1000000
		assert.Equal(t, want, got)

		// Without options: the preset, with the server's pixel limit.
		img2 := e.upload(t, file("a.png", pngImage(t, 20, 20, 2)))[0]
		require.NoError(t, json.Unmarshal(e.image(t, img2.ID).Options, &got))
		want = tracecore.PlaceholderOptions()
		want.MaxPixels = tracecore.DefaultMaxPixels
		assert.Equal(t, want, got)
	})

	t.Run("CanonicalOptions", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 20, 20, 1)
		first := e.upload(t, file("a.png", data), field("options", `{"turdsize":5,"alphamax":1,"invert":true}`))[0]
		require.True(t, *first.Created)
		for _, opts := range []string{
			`{"invert":true,"alphamax":1,"turdsize":5}`,
			"{ \"alphamax\" : 1.0 ,\n\t\"turdsize\": 5, \"invert\": true }",
			`{"turdsize":5,"alphamax":1e0,"invert":true,"maxside":400}`, // the preset's own maxside
		} {
			again := e.upload(t, file("b.png", data), field("options", opts))[0]
			assert.Equal(t, first.ID, again.ID, opts)
			assert.False(t, *again.Created, opts)
			assert.Equal(t, first.Options, again.Options)
		}
		// The preset's values spelled out are the preset.
		plain := e.upload(t, file("c.png", data))[0]
		same := e.upload(t, file("c.png", data), field("options", `{"maxside":400,"alphamax":0.6,"threshold":"auto"}`))[0]
		assert.Equal(t, plain.ID, same.ID)
		assert.False(t, *same.Created)
		assert.Equal(t, 2, e.images(t))
		assert.Equal(t, 2, e.jobs(t))
	})

	t.Run("SameAgain", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 20, 20, 1)
		first := e.upload(t, file("a.png", data), field("title", "first"))[0]
		again := e.upload(t, file("renamed.png", data), field("title", "second"))[0]
		assert.Equal(t, first.ID, again.ID)
		assert.True(t, *first.Created)
		assert.False(t, *again.Created)
		assert.Equal(t, "first", again.Title, "the existing record is returned as it is")
		assert.Equal(t, 1, e.images(t))
		assert.Equal(t, 1, e.jobs(t))
		assert.Equal(t, 1, e.events(t, store.EventImageAdded))
		assert.Len(t, e.files(t), 1)

		// Twice in one request: one image, one job.
		other := pngImage(t, 20, 20, 2)
		imgs := e.upload(t, file("x.png", other), file("y.png", other))
		require.Len(t, imgs, 2)
		assert.Equal(t, imgs[0].ID, imgs[1].ID)
		assert.True(t, *imgs[0].Created)
		assert.False(t, *imgs[1].Created)
		assert.Equal(t, 2, e.images(t))
		assert.Equal(t, 2, e.jobs(t))
	})

	t.Run("SameBytesOtherOptions", func(t *testing.T) {
		e := setup(t)
		data := pngImage(t, 20, 20, 1)
		a := e.upload(t, file("a.png", data))[0]
		b := e.upload(t, file("a.png", data), field("options", `{"turdsize":3}`))[0]
		assert.NotEqual(t, a.ID, b.ID)
		assert.True(t, *b.Created)
		assert.Equal(t, a.ContentHash, b.ContentHash)
		assert.NotEqual(t, string(a.Options), string(b.Options))
		assert.Equal(t, 2, e.images(t))
		assert.Equal(t, 2, e.jobs(t))
		assert.Len(t, e.files(t), 1, "one original for both")
	})

	t.Run("AtSizeLimit", func(t *testing.T) {
		data := pngImage(t, 20, 20, 1)
		// Bytes after IEND pad the file to exactly the limit.
		const limit = 1000
		require.Less(t, len(data), limit)
		data = append(data, bytes.Repeat([]byte{0}, limit-len(data))...)
		e := setup(t, func(c *server.Config) { c.MaxUploadBytes = limit })
		img := e.upload(t, file("a.png", data))[0]
		assert.Equal(t, int64(limit), img.Bytes)
	})

	t.Run("AtPixelLimit", func(t *testing.T) {
		e := setup(t, func(c *server.Config) { c.MaxPixels = 400 })
		img := e.upload(t, file("a.png", pngImage(t, 20, 20, 1)))[0]
		assert.Equal(t, 20, img.Width)
	})
}

func TestUploadRejected(t *testing.T) {
	good := pngImage(t, 20, 20, 1)
	text := []byte("this is not an image, whatever its name says\n")
	truncated := good[:20] // the signature and part of IHDR
	tests := []struct {
		name   string
		cfg    func(*server.Config)
		parts  []part
		raw    func(t *testing.T) (body []byte, ctype string) // instead of parts
		status int
		code   string
	}{
		{
			name:   "NotMultipart",
			raw:    func(*testing.T) ([]byte, string) { return []byte(`{"file":"x"}`), "application/json" },
			status: http.StatusBadRequest, code: server.CodeBadRequest,
		},
		{
			name:   "NoContentType",
			raw:    func(*testing.T) ([]byte, string) { return good, "" },
			status: http.StatusBadRequest, code: server.CodeBadRequest,
		},
		{
			name: "MalformedMultipart",
			raw: func(t *testing.T) ([]byte, string) {
				body, ctype := multipartBody(t, file("a.png", good))
				return body.Bytes()[:body.Len()/2], ctype // cut off mid-file
			},
			status: http.StatusBadRequest, code: server.CodeBadRequest,
		},
		{name: "NoParts", parts: nil, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "NoFileField", parts: []part{field("title", "t")}, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "UnknownField", parts: []part{file("a.png", good), field("colour", "red")}, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "UnknownFileField", parts: []part{{field: "image", filename: "a.png", body: good}}, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "OptionsTwice", parts: []part{file("a.png", good), field("options", `{}`), field("options", `{}`)}, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "MoreTitlesThanFiles", parts: []part{file("a.png", good), field("title", "a"), field("title", "b")}, status: http.StatusBadRequest, code: server.CodeBadRequest},
		{name: "OptionsMalformed", parts: []part{file("a.png", good), field("options", `{"turdsize":`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsNotObject", parts: []part{file("a.png", good), field("options", `[1,2]`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsNull", parts: []part{file("a.png", good), field("options", `null`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsUnknownName", parts: []part{file("a.png", good), field("options", `{"turdsise":5}`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsInvalidValue", parts: []part{file("a.png", good), field("options", `{"alphamax":-1}`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsWrongType", parts: []part{file("a.png", good), field("options", `{"turdsize":"many"}`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{name: "OptionsBadTurnPolicy", parts: []part{file("a.png", good), field("options", `{"turnpolicy":"sideways"}`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{
			name:   "MaxPixelsOverServerLimit",
			parts:  []part{file("a.png", good), field("options", `{"maxpixels":`+strconv.FormatInt(tracecore.DefaultMaxPixels+1, 10)+`}`)},
			status: http.StatusBadRequest, code: server.CodeBadOptions,
		},
		{
			name:   "MaxPixelsOverSmallServerLimit",
			cfg:    func(c *server.Config) { c.MaxPixels = 1000 },
			parts:  []part{file("a.png", good), field("options", `{"maxpixels":1001}`)},
			status: http.StatusBadRequest, code: server.CodeBadOptions,
		},
		{name: "MaxPixelsZero", parts: []part{file("a.png", good), field("options", `{"maxpixels":0}`)}, status: http.StatusBadRequest, code: server.CodeBadOptions},
		{
			name:   "OverUploadLimit",
			cfg:    func(c *server.Config) { c.MaxUploadBytes = int64(len(good)) - 1 },
			parts:  []part{file("a.png", good)},
			status: http.StatusRequestEntityTooLarge, code: server.CodeTooLarge,
		},
		{
			name:   "NotAnImage",
			parts:  []part{{field: "file", filename: "a.png", ctype: "image/png", body: text}},
			status: http.StatusUnsupportedMediaType, code: server.CodeNotAnImage,
		},
		{
			name:   "NotAnImageShort",
			parts:  []part{{field: "file", filename: "a.png", ctype: "image/png", body: []byte("GIF")}},
			status: http.StatusUnsupportedMediaType, code: server.CodeNotAnImage,
		},
		{
			name:   "SVGIsNotAnImage",
			parts:  []part{{field: "file", filename: "a.svg", ctype: "image/svg+xml", body: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}},
			status: http.StatusUnsupportedMediaType, code: server.CodeNotAnImage,
		},
		{
			name:   "Empty",
			parts:  []part{{field: "file", filename: "a.png", ctype: "image/png", body: nil}},
			status: http.StatusUnsupportedMediaType, code: server.CodeNotAnImage,
		},
		{name: "TruncatedHeader", parts: []part{file("a.png", truncated)}, status: http.StatusUnprocessableEntity, code: server.CodeCorruptImage},
		{name: "HugeDimensions", parts: []part{file("bomb.png", hugePNG(t))}, status: http.StatusUnprocessableEntity, code: server.CodeTooManyPix},
		{
			name:   "OverServerPixelLimit",
			cfg:    func(c *server.Config) { c.MaxPixels = 399 }, // 20×20 is 400
			parts:  []part{file("a.png", good)},
			status: http.StatusUnprocessableEntity, code: server.CodeTooManyPix,
		},
		{
			name:   "OverOptionsPixelLimit",
			parts:  []part{file("a.png", good), field("options", `{"maxpixels":399}`)},
			status: http.StatusUnprocessableEntity, code: server.CodeTooManyPix,
		},
		{
			// brushes.jpg (1365×1074, progressive 4:4:4) decoded at full
			// size holds 15 bytes a pixel, 22 MB: over a 20 MB budget.
			name:   "OverDecodeBudget",
			cfg:    func(c *server.Config) { c.MaxDecodeBytes = 20 << 20 },
			parts:  []part{file("brushes.jpg", brushesJPEG(t)), field("options", `{"maxside":0}`)},
			status: http.StatusUnprocessableEntity, code: server.CodeTooManyPix,
		},
		{
			name:   "SecondFileNotAnImage",
			parts:  []part{file("a.png", good), file("b.png", text)},
			status: http.StatusUnsupportedMediaType, code: server.CodeNotAnImage,
		},
		{
			name:   "SecondFileTooLarge",
			cfg:    func(c *server.Config) { c.MaxUploadBytes = int64(len(good)) },
			parts:  []part{file("a.png", good), file("b.png", append(append([]byte{}, good...), 0))},
			status: http.StatusRequestEntityTooLarge, code: server.CodeTooLarge,
		},
		{
			name:   "SecondFileTooManyPixels",
			parts:  []part{file("a.png", good), file("bomb.png", hugePNG(t))},
			status: http.StatusUnprocessableEntity, code: server.CodeTooManyPix,
		},
		{
			name:   "BadOptionsAfterFiles",
			parts:  []part{file("a.png", good), file("b.png", pngImage(t, 20, 20, 2)), field("options", `{"nope":1}`)},
			status: http.StatusBadRequest, code: server.CodeBadOptions,
		},
		{
			name:   "TitleOverFieldLimit",
			parts:  []part{file("a.png", good), field("title", strings.Repeat("x", 64<<10+1))},
			status: http.StatusBadRequest, code: server.CodeBadRequest,
		},
		{
			// Text fields are held in memory, so their count is bounded as
			// they arrive (not only compared with the files at the end).
			name: "TooManyAlts",
			parts: func() []part {
				ps := []part{file("a.png", good)}
				for range server.MaxFilesPerUpload + 1 {
					ps = append(ps, field("alt", strings.Repeat("t", 1000)))
				}
				return ps
			}(),
			status: http.StatusBadRequest, code: server.CodeBadRequest,
		},
		{
			name: "TooManyFiles",
			parts: func() []part {
				ps := make([]part, server.MaxFilesPerUpload+1)
				for i := range ps {
					ps[i] = file("a.png", good)
				}
				return ps
			}(),
			status: http.StatusRequestEntityTooLarge, code: server.CodeTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*server.Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			e := setup(t, mods...)
			var (
				resp *http.Response
				body []byte
			)
			if tt.raw != nil {
				b, ctype := tt.raw(t)
				req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/images", bytes.NewReader(b))
				require.NoError(t, err)
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				resp, body = e.do(t, req)
			} else {
				resp, body = e.post(t, tt.parts...)
			}
			requireError(t, resp, body, tt.status, tt.code)
			e.requireEmpty(t)
			assert.Equal(t, `svgtrace_uploads_total{result="rejected"} 1`, e.metric(t, `svgtrace_uploads_total{result="rejected"}`))

			// Nothing of the rejection stays in the way: the good file alone
			// is accepted (where the limits allow it).
			if tt.cfg == nil {
				imgs := e.upload(t, file("a.png", good))
				assert.True(t, *imgs[0].Created)
			}
		})
	}
}

// endlessAlts is a multipart body of one file and then alt fields until
// limit bytes, counting what was read of it.
type endlessAlts struct {
	head, field []byte
	limit, read int
	total       atomic.Int64 // read, for the test's goroutine
}

func (r *endlessAlts) Read(p []byte) (int, error) {
	if r.read >= r.limit {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.read < r.limit {
		var src []byte
		if r.read < len(r.head) {
			src = r.head[r.read:]
		} else {
			src = r.field[(r.read-len(r.head))%len(r.field):]
		}
		c := copy(p[n:], src)
		n += c
		r.read += c
	}
	r.total.Store(int64(r.read))
	return n, nil
}

// TestUploadTextBounded sends a body of endless alt texts: the server must
// answer without reading it all, since it holds text in memory.
func TestUploadTextBounded(t *testing.T) {
	e := setup(t)
	const boundary = "b0undary"
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	require.NoError(t, mw.SetBoundary(boundary))
	w, err := mw.CreateFormFile("file", "a.png")
	require.NoError(t, err)
	_, err = w.Write(pngImage(t, 20, 20, 1))
	require.NoError(t, err)
	alt := "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n" + strings.Repeat("a", 60<<10)
	body := &endlessAlts{head: head.Bytes(), field: []byte(alt), limit: 256 << 20}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/images", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	requireError(t, resp, b, http.StatusBadRequest, server.CodeBadRequest)
	assert.Less(t, body.total.Load(), int64(64<<20), "the server stopped reading long before the end")
	e.requireEmpty(t)
}

// TestUploadConcurrent uploads the same bytes from many clients at once:
// one image, one job, one original, and every client gets its ID.
func TestUploadConcurrent(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 20, 20, 1)
	const clients = 20
	type result struct {
		status  int
		id      string
		created bool
	}
	body, ctype := multipartBody(t, file("a.png", data))
	results := make(chan result, clients)
	for range clients {
		go func() {
			resp, err := e.srv.Client().Post(e.srv.URL+"/api/images", ctype, bytes.NewReader(body.Bytes()))
			if err != nil {
				results <- result{}
				return
			}
			defer resp.Body.Close()
			var out struct {
				Images []apiImage `json:"images"`
			}
			if json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Images) != 1 {
				results <- result{status: resp.StatusCode}
				return
			}
			results <- result{resp.StatusCode, out.Images[0].ID, *out.Images[0].Created}
		}()
	}
	ids := map[string]bool{}
	created := 0
	for range clients {
		select {
		case r := <-results:
			assert.Equal(t, http.StatusAccepted, r.status)
			ids[r.id] = true
			if r.created {
				created++
			}
		case <-time.After(30 * time.Second):
			t.Fatal("uploads did not finish")
		}
	}
	assert.Len(t, ids, 1)
	assert.Equal(t, 1, created)
	assert.Equal(t, 1, e.images(t))
	assert.Equal(t, 1, e.jobs(t))
	assert.Equal(t, 1, e.events(t, store.EventImageAdded))
	assert.Len(t, e.files(t), 1)
	assert.Equal(t, `svgtrace_uploads_total{result="existing"} 19`, e.metric(t, `svgtrace_uploads_total{result="existing"}`))
}

// brushesJPEG returns tracecore's test photo brushes.jpg, a progressive
// 4:4:4 JPEG of 1365×1074.
func brushesJPEG(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../tracecore/testdata/images/brushes.jpg")
	require.NoError(t, err)
	return b
}

// TestUploadDecodeBudget: the decode budget counts the scale the trace
// decodes at: the JPEG refused at full size (TestUploadRejected's
// OverDecodeBudget) is taken for the placeholder, which decodes it at 1/2
// scale in under 4 MB, and its refusal says why.
func TestUploadDecodeBudget(t *testing.T) {
	e := setup(t, func(c *server.Config) { c.MaxDecodeBytes = 20 << 20 })
	resp, body := e.post(t, file("brushes.jpg", brushesJPEG(t)), field("options", `{"maxside":0}`))
	requireError(t, resp, body, http.StatusUnprocessableEntity, server.CodeTooManyPix)
	assert.Contains(t, string(body), `1365×1074 is 1466010 pixels, over the 1398101 admitted for it: decoded at full size it needs 15 bytes a pixel`)
	img := e.upload(t, file("brushes.jpg", brushesJPEG(t)))[0]
	assert.NotEmpty(t, img.ID)
}
