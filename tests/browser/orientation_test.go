package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// TestEXIFOrientation traces JPEGs whose pixels are stored turned, with an
// EXIF orientation saying how to show them: the Worker decodes with the
// browser's createImageBitmap (imageOrientation from-image), so the trace
// has the displayed size and shape, the same as native tracecore's, which
// applies the orientation itself (tracecore/imageio).
func TestEXIFOrientation(t *testing.T) {
	ctx := newBrowser(t)
	openTracer(t, ctx, "")
	const opts = `{"threshold":0.5,"turdsize":0,"maxside":0,"color":"#000000"}`
	var o tracecore.Options
	if err := json.Unmarshal([]byte(opts), &o); err != nil {
		t.Fatal(err)
	}
	base := tracecore.PlaceholderOptions()
	base.Threshold, base.TurdSize, base.MaxSide, base.Color = o.Threshold, o.TurdSize, o.MaxSide, o.Color

	for _, orientation := range []int{1, 3, 6, 8} {
		t.Run(fmt.Sprint(orientation), func(t *testing.T) {
			data := orientedJPEG(t, orientation)
			want, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), base)
			if err != nil {
				t.Fatal(err)
			}
			res, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
				const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
				const r = await window.tracer.trace(new Blob([bytes], {type: 'image/jpeg'}), %s);
				return JSON.stringify({svg: r.svg, width: r.width, height: r.height});
			})()`, base64.StdEncoding.EncodeToString(data), opts), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("trace in chromium: %v", jsError(err))
			}
			var got struct {
				SVG           string
				Width, Height int
			}
			if err := json.Unmarshal([]byte(res), &got); err != nil {
				t.Fatal(err)
			}
			rep := want.Report()
			if got.Width != rep.Width || got.Height != rep.Height {
				t.Fatalf("orientation %d: size %d×%d in chromium, %d×%d natively", orientation, got.Width, got.Height, rep.Width, rep.Height)
			}
			// The same shape: the two traces cover the same pixels but for
			// the edges two JPEG decoders see differently.
			if m := coverageMismatch(t, got.SVG, rep.SVG); m > 0.03 {
				t.Errorf("orientation %d: the traces differ in %.1f %% of the pixels", orientation, 100*m)
			}
		})
	}
}

// orientedJPEG is a 120×60 picture, dark on its left third when shown,
// stored turned so that the EXIF orientation o turns it back.
func orientedJPEG(t *testing.T, o int) []byte {
	t.Helper()
	const w, h = 120, 60
	shown := func(x, y int) color.Gray {
		if x < w/3 {
			return color.Gray{Y: 20}
		}
		return color.Gray{Y: 235}
	}
	// stored(x, y) for each orientation, from the shown picture.
	var img *image.Gray
	switch o {
	case 1:
		img = image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.SetGray(x, y, shown(x, y))
			}
		}
	case 3: // stored turned 180°
		img = image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.SetGray(x, y, shown(w-1-x, h-1-y))
			}
		}
	case 6: // shown = stored turned 90° clockwise: stored is h wide, w high
		img = image.NewGray(image.Rect(0, 0, h, w))
		for y := 0; y < w; y++ {
			for x := 0; x < h; x++ {
				img.SetGray(x, y, shown(w-1-y, x))
			}
		}
	case 8: // shown = stored turned 90° counter-clockwise
		img = image.NewGray(image.Rect(0, 0, h, w))
		for y := 0; y < w; y++ {
			for x := 0; x < h; x++ {
				img.SetGray(x, y, shown(y, h-1-x))
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return withOrientation(buf.Bytes(), o)
}

// coverageMismatch is the share of pixels where two SVGs' coverage differs,
// rasterised at the first one's viewBox.
func coverageMismatch(t *testing.T, a, b string) float64 {
	t.Helper()
	da, err := clientsvg.Parse([]byte(a), clientsvg.Limits{})
	if err != nil {
		t.Fatalf("chromium's SVG: %v", err)
	}
	db, err := clientsvg.Parse([]byte(b), clientsvg.Limits{})
	if err != nil {
		t.Fatalf("native SVG: %v", err)
	}
	w, h := da.ViewWidth, da.ViewHeight
	ra, rb := da.Rasterize(w, h), db.Rasterize(w, h)
	diff := 0
	for i := range ra.Pix {
		if (ra.Pix[i] >= clientsvg.CoveredAlpha) != (rb.Pix[i] >= clientsvg.CoveredAlpha) {
			diff++
		}
	}
	return float64(diff) / float64(w*h)
}

// withOrientation returns the JPEG jpg with an APP1 Exif segment saying
// orientation o inserted right after SOI: a little-endian TIFF header and one
// IFD entry, Orientation (0x0112), SHORT, 1 value.
func withOrientation(jpg []byte, o int) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.LittleEndian.AppendUint16(tiff, 3)
	tiff = binary.LittleEndian.AppendUint32(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, uint16(o))
	tiff = binary.LittleEndian.AppendUint16(tiff, 0)
	tiff = binary.LittleEndian.AppendUint32(tiff, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte(nil), jpg[:2]...), seg...), jpg[2:]...)
}

// picosDCEnd is where picos.jpg's first scan, the DC coefficients of all
// three components, ends: the DHT before its second scan (found with a
// marker walk of the file).
const picosDCEnd = 120676

// TestJPEGHeader runs the Worker's JPEG header parsing (jpegHeader,
// jpegDCEnd, jpegScale in worker.js, loaded into a Worker of its own) on
// the orientation test images, picos.jpg (progressive) with and without an
// EXIF orientation, and files it must leave to the full decode.
func TestJPEGHeader(t *testing.T) {
	ctx := newBrowser(t)
	if _, err := chromedp.Run(step(t, ctx), chromedp.Navigate(serverURL+"/_test/blank.html")); err != nil {
		t.Fatalf("load the test page: %v", err)
	}
	// window.parse(base64) resolves to the JSON of {hdr, dcEnd, scale}:
	// hdr null when jpegHeader gives null; scale is jpegScale for the
	// placeholder's 400 px target of the stored size.
	if _, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[bool](`(() => {
		const src = "importScripts(" + JSON.stringify(location.origin + '/worker.js') + ");" +
			"self.onmessage = (e) => { const hdr = jpegHeader(e.data);" +
			" const r = {hdr, dcEnd: hdr && hdr.progressive ? jpegDCEnd(e.data, hdr) : -1, scale: 0};" +
			" if (hdr) { const [w, h] = targetSize(hdr.width, hdr.height, 400); r.scale = jpegScale(hdr.width, hdr.height, w, h); }" +
			" self.postMessage(JSON.stringify(r)); };";
		const w = new Worker(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
		window.parse = (b64) => new Promise((resolve, reject) => {
			w.onmessage = (e) => resolve(e.data);
			w.onerror = (e) => reject(new Error(e.message));
			w.postMessage(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
		});
		return true;
	})()`)); err != nil {
		t.Fatalf("the parsing Worker: %v", jsError(err))
	}
	type header struct {
		Width, Height int
		Components    []int
		Progressive   bool
		Orientation   int
		Scan          int
	}
	parse := func(t *testing.T, data []byte) (h *header, dcEnd, scale int) {
		t.Helper()
		res, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](fmt.Sprintf(`window.parse(%q)`,
			base64.StdEncoding.EncodeToString(data)), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("parse: %v", jsError(err))
		}
		var r struct {
			Hdr   *header
			DCEnd int
			Scale int
		}
		if err := json.Unmarshal([]byte(res), &r); err != nil {
			t.Fatalf("%v: %s", err, res)
		}
		return r.Hdr, r.DCEnd, r.Scale
	}

	for _, o := range []int{1, 3, 6, 8} {
		h, dc, scale := parse(t, orientedJPEG(t, o))
		w, ht := 120, 60 // stored: turned for 6 and 8
		if o >= 5 {
			w, ht = ht, w
		}
		if h == nil || h.Width != w || h.Height != ht || h.Orientation != o || h.Progressive || len(h.Components) != 1 || h.Scan <= 0 {
			t.Errorf("orientedJPEG(%d): %+v, want %d×%d, orientation %d, baseline, 1 component, a scan", o, h, w, ht, o)
		}
		if dc != -1 || scale != 8 {
			t.Errorf("orientedJPEG(%d): DC end %d, scale %d; want -1 (baseline) and 8 (smaller than 400 px)", o, dc, scale)
		}
	}

	picos, err := os.ReadFile(filepath.Join(moduleRoot, "tracecore", "testdata", "images", "picos.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []int{0, 1, 6} { // 0: no EXIF segment
		data, shift := picos, 0
		if o > 0 {
			data = withOrientation(picos, o)
			shift = len(data) - len(picos)
		}
		want := max(o, 1)
		h, dc, scale := parse(t, data)
		if h == nil || h.Width != 3264 || h.Height != 2448 || h.Orientation != want || !h.Progressive || len(h.Components) != 3 {
			t.Errorf("picos.jpg, EXIF %d: %+v, want 3264×2448, orientation %d, progressive, 3 components", o, h, want)
		}
		if dc != picosDCEnd+shift || scale != 1 {
			t.Errorf("picos.jpg, EXIF %d: DC end %d, scale %d; want %d and 1", o, dc, scale, picosDCEnd+shift)
		}
	}

	// Left to the full decode: not a JPEG, a JPEG cut before its frame
	// header, a progressive JPEG cut inside its DC scan.
	png, err := os.ReadFile(filepath.Join(moduleRoot, "tracecore", "testdata", "images", "opencv-logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a PNG": png, "SOI alone": {0xff, 0xd8}, "SOI and APP0 cut": picos[:12], "nothing": {}} {
		if h, _, _ := parse(t, data); h != nil {
			t.Errorf("%s: %+v, want null", name, h)
		}
	}
	if h, dc, _ := parse(t, picos[:picosDCEnd-1000]); h == nil || dc != -1 {
		t.Errorf("picos.jpg cut in its DC scan: %+v, DC end %d; want the header and -1", h, dc)
	}
}

// TestScaledJPEG traces picos.jpg (progressive, 3264×2448), under each
// EXIF orientation, with the placeholder preset: the Worker decodes only
// its DC scan at 1/8 scale (scaledJPEG), so the trace must have the
// displayed size and shape of native tracecore's, and of the Worker's full
// decode (the same file as an ImageBitmap, which takes the old path).
func TestScaledJPEG(t *testing.T) {
	ctx := newBrowser(t)
	openTracer(t, ctx, "")
	picos, err := os.ReadFile(filepath.Join(moduleRoot, "tracecore", "testdata", "images", "picos.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			data := withOrientation(picos, o)
			want, err := imageio.Trace(context.Background(), &tracecore.Tracer{}, bytes.NewReader(data), tracecore.PlaceholderOptions())
			if err != nil {
				t.Fatal(err)
			}
			res, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
				const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
				const blob = new Blob([bytes], {type: 'image/jpeg'});
				const t0 = performance.now();
				const fast = await window.tracer.trace(blob);
				const ms = performance.now() - t0;
				const full = await window.tracer.trace(await createImageBitmap(blob, {imageOrientation: 'from-image'}));
				return JSON.stringify({fast: fast.svg, full: full.svg, width: fast.width, height: fast.height, ms});
			})()`, base64.StdEncoding.EncodeToString(data)), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("trace in chromium: %v", jsError(err))
			}
			var got struct {
				Fast, Full    string
				Width, Height int
				MS            float64
			}
			if err := json.Unmarshal([]byte(res), &got); err != nil {
				t.Fatal(err)
			}
			rep := want.Report()
			if got.Width != rep.Width || got.Height != rep.Height {
				t.Fatalf("orientation %d: size %d×%d in chromium, %d×%d natively", o, got.Width, got.Height, rep.Width, rep.Height)
			}
			native, full := coverageMismatch(t, got.Fast, rep.SVG), coverageMismatch(t, got.Fast, got.Full)
			t.Logf("orientation %d: %.0f ms; coverage differs from native in %.2f %%, from the full decode in %.2f %%; SVG %d bytes, full decode's %d",
				o, got.MS, 100*native, 100*full, len(got.Fast), len(got.Full))
			// The DC-only pixels are not the full decode's: equal SVGs would
			// mean the Worker fell back to the full decode.
			if got.Fast == got.Full {
				t.Errorf("orientation %d: the same SVG as the full decode's: the scaled decode was not used", o)
			}
			if native > 0.03 || full > 0.03 {
				t.Errorf("orientation %d: the trace differs from native tracecore's in %.1f %% of the pixels, from the full decode's in %.1f %%", o, 100*native, 100*full)
			}
		})
	}
}
