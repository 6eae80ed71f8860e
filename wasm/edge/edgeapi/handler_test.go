package edgeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// images is the repository's test corpus (tracecore/testdata/SOURCES.md).
const images = "../../../tracecore/testdata/images"

func readImage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(images, name))
	require.NoError(t, err)
	return b
}

// native traces body with tracecore directly: what every answer must equal.
func native(t *testing.T, body []byte, set func(*tracecore.Options)) *tracecore.Result {
	t.Helper()
	o := tracecore.PlaceholderOptions()
	if set != nil {
		set(&o)
	}
	res, err := imageio.Trace(context.Background(), new(tracecore.Tracer), bytes.NewReader(body), o)
	require.NoError(t, err)
	return res
}

// serve runs one request through h and returns the recorded answer.
func serve(h http.Handler, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestTrace(t *testing.T) {
	h := New(Config{})
	logo := readImage(t, "opencv-logo.png")
	fruits := readImage(t, "fruits.jpg")
	picos := readImage(t, "picos.jpg") // 8 MP progressive JPEG: the reduced decode

	tests := []struct {
		name     string
		body     []byte
		query    string
		accept   string
		set      func(*tracecore.Options)
		wantType string
		format   string
	}{
		{name: "DefaultIsSVG", body: logo, wantType: "image/svg+xml", format: formatSVG},
		{name: "FormatSVG", body: logo, query: "format=svg", accept: "application/json", wantType: "image/svg+xml", format: formatSVG},
		{name: "FormatDataURI", body: logo, query: "format=datauri", wantType: "text/plain; charset=utf-8", format: formatDataURI},
		{name: "FormatJSON", body: fruits, query: "format=json", wantType: "application/json; charset=utf-8", format: formatJSON},
		{name: "AcceptJSON", body: logo, accept: "application/json", wantType: "application/json; charset=utf-8", format: formatJSON},
		{name: "AcceptTextPlain", body: logo, accept: "text/plain", wantType: "text/plain; charset=utf-8", format: formatDataURI},
		{name: "AcceptAny", body: logo, accept: "*/*", wantType: "image/svg+xml", format: formatSVG},
		{name: "AcceptImageAny", body: logo, accept: "image/*", wantType: "image/svg+xml", format: formatSVG},
		{name: "AcceptQuality", body: logo, accept: "image/svg+xml;q=0.5, application/json;q=0.9, */*;q=0.1", wantType: "application/json; charset=utf-8", format: formatJSON},
		{name: "AcceptBrowserFetch", body: logo, accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", wantType: "image/svg+xml", format: formatSVG},
		{
			name: "Options", body: fruits, query: "threshold=0.4&turdsize=10&color=auto",
			set:      func(o *tracecore.Options) { o.Threshold = 0.4; o.TurdSize = 10 },
			wantType: "image/svg+xml", format: formatSVG,
		},
		{
			name: "MoreOptions", body: logo, query: "invert=true&precision=1&alphamax=1&opticurve=false&color=%23336699&turnpolicy=black&maxside=200",
			set: func(o *tracecore.Options) {
				o.Invert, o.Precision, o.AlphaMax, o.OptiCurve, o.Color, o.TurnPolicy, o.MaxSide = true, 1, 1, false, "#336699", tracecore.TurnBlack, 200
			},
			wantType: "image/svg+xml", format: formatSVG,
		},
		{
			name: "NullIsDefault", body: fruits, query: "turdsize=null&threshold=null",
			set:      func(o *tracecore.Options) { o.TurdSize = 2; o.Threshold = tracecore.DefaultThreshold },
			wantType: "image/svg+xml", format: formatSVG,
		},
		{
			name: "Posterize", body: fruits, query: "steps=3&thresholds=0.25,0.5,0.75",
			set:      func(o *tracecore.Options) { o.Steps = 3; o.Thresholds = []float64{0.25, 0.5, 0.75} },
			wantType: "image/svg+xml", format: formatSVG,
		},
		{name: "ReducedJPEG", body: picos, wantType: "image/svg+xml", format: formatSVG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			if tt.accept != "" {
				hdr.Set("Accept", tt.accept)
			}
			target := "/trace"
			if tt.query != "" {
				target += "?" + tt.query
			}
			rec := serve(h, http.MethodPost, target, bytes.NewReader(tt.body), hdr)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, tt.wantType, rec.Header().Get("Content-Type"))
			assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "Accept", rec.Header().Get("Vary"))
			want := native(t, tt.body, tt.set)
			switch tt.format {
			case formatSVG:
				assert.Equal(t, string(want.SVG()), rec.Body.String())
			case formatDataURI:
				assert.Equal(t, want.DataURI(), rec.Body.String())
			case formatJSON:
				var got tracecore.Report
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
				wr := want.Report()
				got.Timings, wr.Timings = nil, nil // times differ run to run
				assert.Equal(t, wr, got)
			}
		})
	}
}

// pngHeader is a PNG signature and IHDR declaring w×h, 8-bit RGBA, with
// nothing after it: enough for DecodeConfig, never decodable.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	png.Encode(&buf, img)
	b := buf.Bytes()[:33] // signature (8) + IHDR chunk (4+4+13+4)
	b[16], b[17], b[18], b[19] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
	b[20], b[21], b[22], b[23] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	// The CRC no longer matches; image/png checks it, so fix it.
	crc := crc32.ChecksumIEEE(b[12:29])
	b[29], b[30], b[31], b[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return b
}

// jpegHeader returns the start of a JPEG with frame header sof (0xc0
// baseline, 0xc2 progressive) of w×h pixels and three components, each
// with the sampling byte hv: a quantisation table, Huffman tables, the
// frame, a scan header and the end, no image data.
func jpegHeader(sof byte, w, h uint16, hv byte) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00}
	for range 64 {
		b = append(b, 1)
	}
	// A DC and an AC Huffman table, each of one 1-bit code for symbol 0.
	for _, class := range []byte{0x00, 0x10} {
		b = append(b, 0xff, 0xc4, 0x00, 20, class, 1)
		b = append(b, make([]byte, 15)...)
		b = append(b, 0)
	}
	b = append(b, 0xff, sof, 0x00, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3)
	for id := byte(1); id <= 3; id++ {
		b = append(b, id, hv, 0)
	}
	// A scan header (imageio reads the header up to it): all of each
	// block in a baseline frame, the DC first in a progressive one.
	se := byte(63)
	if sof == 0xc2 {
		se = 0
	}
	b = append(b, 0xff, 0xda, 0x00, 12, 3, 1, 0, 2, 0, 3, 0, 0, se, 0)
	return append(b, 0xff, 0xd9)
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func TestErrors(t *testing.T) {
	h := New(Config{MaxBytes: 100_000, MaxPixels: 250_000, MaxPixelsReduced: 2_000_000})
	logo := readImage(t, "opencv-logo.png") // 40104 bytes, 600×794 = 476 400 pixels
	fruits := readImage(t, "fruits.jpg")    // 82429 bytes, 512×480 = 245 760 pixels
	tests := []struct {
		name    string
		method  string
		target  string
		body    io.Reader
		header  http.Header
		status  int
		code    string
		message string // a part of the message
	}{
		{name: "UnknownOption", target: "/trace?colour=auto", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: `unknown field "colour"`},
		{name: "NotANumber", target: "/trace?turdsize=many", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "turdsize must be a number"},
		{name: "NotWhole", target: "/trace?turdsize=2.5", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "not a whole number"},
		{name: "ThresholdRange", target: "/trace?threshold=2", body: bytes.NewReader(fruits), status: 400, code: "invalid_options"},
		{name: "ThresholdWord", target: "/trace?threshold=dark", body: bytes.NewReader(fruits), status: 400, code: "invalid_options"},
		{name: "NotABool", target: "/trace?invert=maybe", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "invert must be true or false"},
		{name: "BadThresholds", target: "/trace?steps=3&thresholds=0.3,x", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "thresholds must be numbers"},
		{name: "Twice", target: "/trace?turdsize=1&turdsize=2", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "given 2 times"},
		{name: "MaxSideZero", target: "/trace?maxside=0", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "maxside must be 1 to 2048"},
		{name: "MaxSideTooLarge", target: "/trace?maxside=4096", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "maxside must be 1 to 2048"},
		{name: "MaxPixelsOverLimit", target: "/trace?maxpixels=3000000", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "maxpixels must be 1 to 2000000"},
		{name: "MaxPixelsNull", target: "/trace?maxpixels=null", body: bytes.NewReader(fruits), status: 400, code: "invalid_options", message: "maxpixels must be 1 to"},
		{name: "BadFormat", target: "/trace?format=png", body: bytes.NewReader(fruits), status: 400, code: "bad_request", message: `format "png"`},
		{name: "NotAcceptable", target: "/trace", body: bytes.NewReader(fruits), header: http.Header{"Accept": {"image/png, text/html"}}, status: 406, code: "not_acceptable"},
		{name: "EmptyBody", target: "/trace", body: http.NoBody, status: 400, code: "bad_request", message: "empty body"},
		{name: "BrokenBody", target: "/trace", body: iotest.ErrReader(io.ErrUnexpectedEOF), status: 400, code: "bad_request", message: "read body"},
		{name: "TooManyBytes", target: "/trace", body: bytes.NewReader(make([]byte, 100_001)), status: 413, code: "too_large", message: "body of 100001 bytes"},
		{name: "TooManyBytesChunked", target: "/trace", body: io.MultiReader(bytes.NewReader(logo), bytes.NewReader(make([]byte, 60_000))), status: 413, code: "too_large", message: "over the limit of 100000 bytes"},
		{name: "NotAnImage", target: "/trace", body: strings.NewReader("hello, not an image at all"), status: 415, code: "not_an_image"},
		{name: "TooManyPixels", target: "/trace", body: bytes.NewReader(logo), status: 422, code: "too_many_pixels", message: "600×794"},
		{name: "TooManyPixelsHeader", target: "/trace", body: bytes.NewReader(pngHeader(50000, 50000)), status: 422, code: "too_many_pixels"},
		{name: "MaxPixelsOption", target: "/trace?maxpixels=1000", body: bytes.NewReader(fruits), status: 422, code: "too_many_pixels"},
		{name: "Corrupt", target: "/trace", body: bytes.NewReader(fruits[:len(fruits)/2]), status: 422, code: "corrupt_image"},
		{name: "CorruptHeader", target: "/trace", body: bytes.NewReader(pngHeader(10, 10)), status: 422, code: "corrupt_image"},
		{name: "NotFound", target: "/traces", body: http.NoBody, status: 404, code: "not_found"},
		{name: "GetTrace", method: http.MethodGet, target: "/trace", status: 405, code: "method_not_allowed"},
		{name: "PutTrace", method: http.MethodPut, target: "/trace", body: bytes.NewReader(fruits), status: 405, code: "method_not_allowed"},
		{name: "PostRoot", target: "/", body: bytes.NewReader(fruits), status: 405, code: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := cmpOr(tt.method, http.MethodPost)
			req := httptest.NewRequest(method, tt.target, tt.body)
			if _, chunked := tt.body.(*bytes.Reader); !chunked && tt.body != nil {
				req.ContentLength = -1 // unknown, as for a chunked upload
			}
			for k, vs := range tt.header {
				req.Header[k] = vs
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
			var got map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got), rec.Body.String())
			assert.Equal(t, tt.code, got["code"])
			assert.Contains(t, got["error"], tt.message)
			if tt.status == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, rec.Header().Get("Allow"))
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestCORS(t *testing.T) {
	h := New(Config{})
	t.Run("Preflight", func(t *testing.T) {
		rec := serve(h, http.MethodOptions, "/trace", nil, http.Header{
			"Origin":                         {"https://example.com"},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"content-type"},
		})
		assert.Equal(t, http.StatusNoContent, rec.Code)
		assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
		assert.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "POST")
		assert.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Content-Type")
		assert.Equal(t, "86400", rec.Header().Get("Access-Control-Max-Age"))
		assert.Equal(t, "POST, OPTIONS", rec.Header().Get("Allow"))
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
		assert.Empty(t, rec.Body.String())
	})
	t.Run("PreflightAnyPath", func(t *testing.T) {
		rec := serve(h, http.MethodOptions, "/elsewhere", nil, http.Header{"Origin": {"https://example.com"}})
		assert.Equal(t, http.StatusNoContent, rec.Code)
		assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
	})
	t.Run("SimpleRequest", func(t *testing.T) {
		rec := serve(h, http.MethodPost, "/trace", bytes.NewReader(readImage(t, "fruits.jpg")),
			http.Header{"Origin": {"https://example.com"}, "Content-Type": {"image/jpeg"}})
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
	})
}

func TestUsage(t *testing.T) {
	h := New(Config{})
	rec := serve(h, http.MethodGet, "/", nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "POST /trace")
	assert.Contains(t, rec.Body.String(), "16777216 bytes")
	assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))

	rec = serve(h, http.MethodHead, "/", nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Body.String())
}

// TestLimits pins the reasoning behind the pixel limits: a large YCbCr or
// grey JPEG that imageio decodes at reduced scale is traced with little
// memory beyond its file, and is allowed past MaxPixels; an image decoded
// at full size is not; and one whose decoder needs more than 8 bytes a
// pixel (a progressive 4:4:4 JPEG at full size needs 15) gets fewer.
func TestLimits(t *testing.T) {
	// 4000×3000 is 12 MP, over MaxPixels (8 MP), under MaxPixelsReduced.
	const w, h = 4000, 3000
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if (x-w/2)*(x-w/2)+(y-h/2)*(y-h/2) < (h/3)*(h/3) {
				img.Pix[y*img.Stride+x] = 200
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}))
	jpg := buf.Bytes()
	hd := New(Config{})

	// Decoded at reduced scale, 12 MP is admitted, and allocates little.
	for _, c := range []struct {
		name, query string
		most        uint64
	}{
		// 4000 ≥ 8×400: 1/8 scale. A full decode would allocate the 12 MB
		// raster; this one about 190 KB, plus the body's copy and the
		// trace's scratch.
		{"Eighth", "", 8 << 20},
		// 4000 ≥ 2×1024: 1/2 scale, 3 MP of samples and coefficients.
		{"Half", "?maxside=1024", 24 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rec := serve(hd, http.MethodPost, "/trace"+c.query, bytes.NewReader(jpg), nil)
			runtime.ReadMemStats(&after)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			alloc := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, alloc, c.most, "allocated %d bytes", alloc)
		})
	}
	t.Run("FullSizeOverLimit", func(t *testing.T) {
		// maxside 2048: 4000 < 2×2048, so the JPEG would be decoded at full
		// size, and 12 MP is over MaxPixels.
		rec := serve(hd, http.MethodPost, "/trace?maxside=2048", bytes.NewReader(jpg), nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), "too_many_pixels")
	})
	t.Run("Progressive444", func(t *testing.T) {
		// 2400×2400 (5.8 MP) is under MaxPixels, but a progressive 4:4:4
		// JPEG decoded at full size holds 15 bytes a pixel: the 64 MB
		// budget admits 4.3 MP of it. A baseline one (3 bytes a pixel) is
		// admitted, and found to hold no image data.
		for _, c := range []struct {
			sof  byte
			code string
			msg  string
		}{
			{0xc2, "too_many_pixels", "2400×2400 is 5760000 pixels, over the 4266666 admitted for this image: decoded at full size it needs 15 bytes a pixel, and a decode here may hold 64 MB"},
			{0xc0, "corrupt_image", ""},
		} {
			rec := serve(hd, http.MethodPost, "/trace?maxside=2048", bytes.NewReader(jpegHeader(c.sof, 2400, 2400, 0x11)), nil)
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), c.code)
			assert.Contains(t, rec.Body.String(), c.msg)
		}
		// At maxside 1024 it would be decoded at 1/2 scale, 2.6 bytes a
		// pixel: admitted (and found empty).
		rec := serve(hd, http.MethodPost, "/trace?maxside=1024", bytes.NewReader(jpegHeader(0xc2, 2400, 2400, 0x11)), nil)
		assert.NotContains(t, rec.Body.String(), "too_many_pixels")
	})
	t.Run("PNGOverLimit", func(t *testing.T) {
		rec := serve(hd, http.MethodPost, "/trace", bytes.NewReader(pngHeader(w, h)), nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), "too_many_pixels")
	})
	t.Run("NotReducedWhenNotJPEG", func(t *testing.T) {
		small := New(Config{MaxPixels: 100, MaxPixelsReduced: 1 << 30})
		rec := serve(small, http.MethodPost, "/trace?maxside=1", bytes.NewReader(encodePNG(t, image.NewGray(image.Rect(0, 0, 20, 20)))), nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	})
	t.Run("Defaults", func(t *testing.T) {
		c := New(Config{}).Config()
		assert.Equal(t, Config{MaxBytes: 16 << 20, MaxPixels: 8_000_000, MaxPixelsReduced: 40_000_000, MaxSide: 2048}, c)
		// picos.jpg (3264×2448) fits even decoded at full size.
		assert.LessOrEqual(t, int64(3264*2448), c.MaxPixels)
	})
}
