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
	// An APP1 Exif segment right after SOI: a little-endian TIFF header and
	// one IFD entry, Orientation (0x0112), SHORT, 1 value.
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
	jpg := buf.Bytes()
	return append(append(append([]byte(nil), jpg[:2]...), seg...), jpg[2:]...)
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
