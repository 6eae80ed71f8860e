package tests

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileMaxUpload is the upload limit TestHostileUploads sets through the
// environment (SVGTRACE_MAX_UPLOAD_BYTES): brushes.jpg (1 181 733 bytes) is
// over it. An oversized body stays within 256 kB of it, the most Go's server
// reads past an unread body to keep the connection, so the client always
// reads the 413 rather than a reset.
const hostileMaxUpload = 1_000_000

// TestHostileUploads sends a corpus of bad uploads. Each answers its 4xx
// with the JSON error and code of docs/api.md; afterwards the server is up
// and nothing of them is left anywhere: no image, job or event row, no file
// under DATA/originals (its tmp directory is empty) and no file outside DATA.
func TestHostileUploads(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "srv", "data")
	cwd := filepath.Join(root, "run", "deep", "cwd")
	require.NoError(t, os.MkdirAll(cwd, 0o755))
	s := startServer(t, serveOpts{workers: 1, data: data, dir: cwd,
		env: []string{fmt.Sprintf("SVGTRACE_MAX_UPLOAD_BYTES=%d", hostileMaxUpload)}})

	good := shapePNG(t, 3000)
	text := []byte("root:x:0:0:root:/root:/bin/bash\n")
	fruits := readFile(t, "tracecore/testdata/images/fruits.jpg")
	logo := readFile(t, "tracecore/testdata/images/opencv-logo.png")
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0], random[1] = 0x00, 0x01 // no format's magic, whatever the generator gives

	type want struct {
		status int
		code   string
	}
	var (
		tooLarge    = want{http.StatusRequestEntityTooLarge, "too_large"}
		notAnImage  = want{http.StatusUnsupportedMediaType, "not_an_image"}
		tooManyPix  = want{http.StatusUnprocessableEntity, "too_many_pixels"}
		corrupt     = want{http.StatusUnprocessableEntity, "corrupt_image"}
		badRequest  = want{http.StatusBadRequest, "bad_request"}
		badOptions  = want{http.StatusBadRequest, "invalid_options"}
		tooManyFile = make([]part, 101)
	)
	for i := range tooManyFile {
		tooManyFile[i] = filePart(fmt.Sprintf("f%d.png", i), shapePNG(t, 3001+i))
	}
	cases := []struct {
		name  string
		parts []part
		raw   string // a literal multipart body (boundary "B"), instead of parts
		ctype string // the request's Content-Type, for raw bodies
		want  want
	}{
		{name: "TruncatedJPEGHeader", parts: []part{filePart("fruits.jpg", fruits[:150])}, want: corrupt},
		{name: "TruncatedJPEGFrameHeader", parts: []part{filePart("fruits.jpg", fruits[:205])}, want: corrupt},
		{name: "TruncatedPNGHeader", parts: []part{filePart("logo.png", logo[:20])}, want: corrupt},
		{name: "PNGDeclaring50000x50000", parts: []part{filePart("big.png", hugePNGHeader(t))}, want: tooManyPix},
		{name: "RandomBytes", parts: []part{filePart("random.png", random)}, want: notAnImage},
		{name: "Empty", parts: []part{filePart("empty.png", nil)}, want: notAnImage},
		{name: "HTMLNamedJPEG", parts: []part{filePart("page.jpg",
			[]byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"))}, want: notAnImage},
		{name: "SVGNamedJPEG", parts: []part{filePart("image.jpg",
			[]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`))}, want: notAnImage},
		{name: "TextClaimingImagePNG", parts: []part{{field: "file", filename: "notes.png", contentType: "image/png", data: text}}, want: notAnImage},
		{name: "OverLimitJPEG", parts: []part{filePart("brushes.jpg", readFile(t, "tracecore/testdata/images/brushes.jpg"))}, want: tooLarge},
		{name: "OverLimitPadded", parts: []part{filePart("padded.png", append(slices.Clone(good), make([]byte, hostileMaxUpload)...))}, want: tooLarge},
		{name: "GoodThenBad", parts: []part{filePart("good.png", good), filePart("bad.png", text)}, want: notAnImage},
		{name: "GoodWithBadOptions", parts: []part{filePart("good.png", good), textPart("options", `{"turdsize":-1}`)}, want: badOptions},
		{name: "GoodWithUnknownOption", parts: []part{filePart("good.png", good), textPart("options", `{"path":"../../x"}`)}, want: badOptions},
		{name: "GoodWithUnknownField", parts: []part{filePart("good.png", good), textPart("path", "../../x")}, want: badRequest},
		{name: "MoreTitlesThanFiles", parts: []part{filePart("good.png", good), textPart("title", "a"), textPart("title", "b")}, want: badRequest},
		{name: "TooManyFiles", parts: tooManyFile, want: tooLarge},
		{name: "NoFile", parts: []part{textPart("title", "nothing")}, want: badRequest},
		{name: "NotMultipart", raw: `{"file":"x"}`, ctype: "application/json", want: badRequest},
		{name: "UnterminatedMultipart", raw: "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + string(good[:40]),
			ctype: "multipart/form-data; boundary=B", want: badRequest},
		{name: "DotDotSlashName", parts: []part{filePart("../../etc/passwd", text)}, want: notAnImage},
		{name: "DotDotBackslashName", parts: []part{filePart(`..\..\x.png`, text)}, want: notAnImage},
		{name: "AbsoluteName", parts: []part{filePart("/etc/passwd", text)}, want: notAnImage},
		// A raw NUL or line break in a header is a malformed part.
		{name: "RawNULInName", raw: rawFilePart("a\x00../../b.png", text), ctype: "multipart/form-data; boundary=B", want: badRequest},
		{name: "EncodedNewlineInName", raw: rawFilePartExt("UTF-8''..%2F..%2Fa%0Ab%00.png", text),
			ctype: "multipart/form-data; boundary=B", want: notAnImage},
		{name: "RawNewlineInName", raw: rawFilePart("a\r\nb.png", text), ctype: "multipart/form-data; boundary=B", want: badRequest},
		{name: "HugeName", parts: []part{filePart(strings.Repeat("../", 20000)+"x.png", text)}, want: notAnImage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctype, body := c.ctype, []byte(c.raw)
			if c.parts != nil {
				ctype, body = multipartBody(t, c.parts...)
			}
			status, out := s.post(t, "/api/images", ctype, body)
			var e apiError
			require.NoError(t, json.Unmarshal(out, &e), "answer %d %q is not JSON", status, out)
			assert.Equal(t, c.want.status, status, "%s", out)
			assert.Equal(t, c.want.code, e.Code, "%s", out)
			assert.NotEmpty(t, e.Error)
		})
	}

	t.Run("NothingLeft", func(t *testing.T) {
		resp, body := s.get(t, "/healthz")
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		for _, table := range []string{"images", "river_job", "events"} {
			assert.Zero(t, s.count(t, `SELECT count(*) FROM `+table), table)
		}
		assert.Empty(t, walkFiles(t, filepath.Join(data, "originals")), "files under DATA/originals")
		tmp, err := os.ReadDir(filepath.Join(data, "originals", "tmp"))
		require.NoError(t, err)
		assert.Empty(t, tmp)
		for _, f := range walkFiles(t, root) {
			if !strings.HasPrefix(f, filepath.Join("srv", "data", "svgtrace.db")) {
				t.Errorf("file %s written", f)
			}
		}
	})

	// A good image under a tricky name is stored by its hash only.
	t.Run("TrickyNameStoredByHash", func(t *testing.T) {
		img := s.upload(t, filePart("../../../escape.png", good))[0]
		s.waitTraced(t, traceWithin, img.ID)
		stored := filepath.Join("srv", "data", "originals", img.ContentHash[:2], img.ContentHash)
		for _, f := range walkFiles(t, root) {
			if f != stored && !strings.HasPrefix(f, filepath.Join("srv", "data", "svgtrace.db")) {
				t.Errorf("file %s written", f)
			}
		}
		b, err := os.ReadFile(filepath.Join(root, stored))
		require.NoError(t, err)
		assert.Equal(t, good, b)
	})

	// A JPEG cut in its scan data has a whole header: the upload is
	// accepted, and the trace fails it at once, without retries.
	t.Run("TruncatedScanFailsAtTrace", func(t *testing.T) {
		img := s.upload(t, filePart("half.jpg", fruits[:len(fruits)/2]))[0]
		var status, reason string
		waitFor(t, traceWithin, "the image to fail", func() bool {
			require.NoError(t, s.DB(t).QueryRow(`SELECT status, coalesce(error, '') FROM images WHERE id = ?`,
				img.ID).Scan(&status, &reason))
			return status != "queued"
		})
		assert.Equal(t, "failed", status)
		assert.NotEmpty(t, reason)
		// River records the job's end just after the image's, asynchronously.
		waitFor(t, traceWithin, "the job to end", func() bool { return s.jobStates(t, img.ID)["running"] == 0 })
		assert.Equal(t, map[string]int{"cancelled": 1}, s.jobStates(t, img.ID), "a corrupt image is not retried")
		assert.Equal(t, 1, s.count(t, `SELECT count(*) FROM events WHERE image_id = ? AND type = 'failed'`, img.ID))
		resp, body := s.get(t, "/api/images/"+img.ID+"/placeholder.svg")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		var e apiError
		require.NoError(t, json.Unmarshal(body, &e))
		assert.Equal(t, "not_traced", e.Code)
		t.Logf("failed: %s", reason)
	})
}

// hugePNGHeader returns a 68-byte PNG: signature, an IHDR declaring a
// 50000×50000 8-bit grey image, a token IDAT and IEND, every CRC right.
func hugePNGHeader(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 50000)
	binary.BigEndian.PutUint32(ihdr[4:], 50000)
	ihdr[8] = 8 // bit depth; colour type 0 (grey), compression, filter, interlace 0
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00})
	chunk("IEND", nil)
	require.Equal(t, 68, b.Len())
	return b.Bytes()
}

// rawFilePart returns a multipart body (boundary "B") with one file part
// whose filename parameter holds name's bytes as they are.
func rawFilePart(name string, data []byte) string {
	return "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n" +
		"Content-Type: image/png\r\n\r\n" + string(data) + "\r\n--B--\r\n"
}

// rawFilePartExt is rawFilePart with an RFC 2231 extended filename*.
func rawFilePartExt(ext string, data []byte) string {
	return "--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=" + ext + "\r\n" +
		"Content-Type: image/png\r\n\r\n" + string(data) + "\r\n--B--\r\n"
}
