package imageio

import (
	"image"
	"image/color"
)

// Turning an image upright by its EXIF orientation. Orientation o says how
// the stored rows and columns are to be displayed (EXIF 2.32 §4.6.4, tag
// 0x0112): 1 as they are, 2 mirrored left–right, 3 turned half a turn, 4
// mirrored top–bottom, 5 transposed (mirrored about the main diagonal), 6
// turned a quarter turn clockwise, 7 transversed (mirrored about the other
// diagonal), 8 turned a quarter turn anticlockwise.

// An affine maps a pixel (dx, dy) of the upright image to the stored pixel
// (x0 + dx·xdx + dy·xdy, y0 + dx·ydx + dy·ydy), both relative to their
// image's Bounds().Min. Each coefficient is −1, 0 or 1.
type affine struct {
	x0, xdx, xdy int
	y0, ydx, ydy int
}

// orientation returns the map of orientation o for a stored image of w×h
// pixels, and the upright size.
func orientation(o, w, h int) (t affine, uw, uh int) {
	switch o {
	case 2:
		return affine{w - 1, -1, 0, 0, 0, 1}, w, h
	case 3:
		return affine{w - 1, -1, 0, h - 1, 0, -1}, w, h
	case 4:
		return affine{0, 1, 0, h - 1, 0, -1}, w, h
	case 5: // stored row y is displayed column y, top to bottom
		return affine{0, 0, 1, 0, 1, 0}, h, w
	case 6: // stored row 0 is the displayed right column
		return affine{0, 0, 1, h - 1, -1, 0}, h, w
	case 7:
		return affine{w - 1, 0, -1, h - 1, -1, 0}, h, w
	case 8: // stored row 0 is the displayed left column, read bottom up
		return affine{w - 1, 0, -1, 0, 1, 0}, h, w
	}
	return affine{0, 1, 0, 0, 0, 1}, w, h
}

// orient returns img turned upright for EXIF orientation o, a new image
// with bounds starting at (0, 0); o = 1 (or out of range) returns img.
//
// The types JPEG decodes to (*image.YCbCr, *image.Gray, *image.CMYK and
// *image.RGBA), and the other planar types of package image, are copied
// plane by plane with the same type; anything else is converted to
// *image.RGBA64 through At.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	r := img.Bounds()
	t, w, h := orientation(o, r.Dx(), r.Dy())
	u := image.Rect(0, 0, w, h)
	switch m := img.(type) {
	case *image.Gray:
		d := image.NewGray(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 1, w, h, t)
		return d
	case *image.Gray16:
		d := image.NewGray16(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 2, w, h, t)
		return d
	case *image.Alpha:
		d := image.NewAlpha(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 1, w, h, t)
		return d
	case *image.CMYK:
		d := image.NewCMYK(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4, w, h, t)
		return d
	case *image.RGBA:
		d := image.NewRGBA(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4, w, h, t)
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4, w, h, t)
		return d
	case *image.RGBA64:
		d := image.NewRGBA64(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 8, w, h, t)
		return d
	case *image.NRGBA64:
		d := image.NewNRGBA64(u)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 8, w, h, t)
		return d
	case *image.Paletted:
		d := image.NewPaletted(u, m.Palette)
		transformPlane(d.Pix, d.Stride, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 1, w, h, t)
		return d
	case *image.YCbCr:
		return orientYCbCr(m, o)
	case *image.NYCbCrA:
		y := orientYCbCr(&m.YCbCr, o)
		d := &image.NYCbCrA{YCbCr: *y, A: make([]byte, w*h), AStride: w}
		transformPlane(d.A, d.AStride, m.A[m.AOffset(r.Min.X, r.Min.Y):], m.AStride, 1, w, h, t)
		return d
	}
	d := image.NewRGBA64(u)
	for dy := 0; dy < h; dy++ {
		for dx := 0; dx < w; dx++ {
			sx, sy := t.x0+dx*t.xdx+dy*t.xdy, t.y0+dx*t.ydx+dy*t.ydy
			d.SetRGBA64(dx, dy, color.RGBA64Model.Convert(img.At(r.Min.X+sx, r.Min.Y+sy)).(color.RGBA64))
		}
	}
	return d
}

// tile is the side of the squares in which transformPlane walks a quarter
// turn: reading a stored column touches one cache line per pixel, and a
// tile's worth of columns reuses them while they are still cached. 64 rows
// of a 4-byte-pixel tile are 16 KiB of lines, inside any L1 cache.
const tile = 64

// transformPlane fills the w×h pixels of bpp bytes each of dst (rows stride
// dstStride apart) from src (rows srcStride apart, starting at the stored
// image's first pixel) by t.
func transformPlane(dst []byte, dstStride int, src []byte, srcStride, bpp, w, h int, t affine) {
	if w == 0 || h == 0 {
		return
	}
	// Moving one pixel right in dst moves step bytes in src.
	step := t.xdx*bpp + t.ydx*srcStride
	start := func(dx, dy int) int {
		return (t.x0+dx*t.xdx+dy*t.xdy)*bpp + (t.y0+dx*t.ydx+dy*t.ydy)*srcStride
	}
	if step == bpp { // rows stay rows, left to right (orientations 1 and 4)
		for dy := 0; dy < h; dy++ {
			s := start(0, dy)
			copy(dst[dy*dstStride:dy*dstStride+w*bpp], src[s:s+w*bpp])
		}
		return
	}
	if t.ydx == 0 { // rows stay rows, mirrored: read sequentially
		for dy := 0; dy < h; dy++ {
			copyRun(dst[dy*dstStride:dy*dstStride+w*bpp], src, start(0, dy), step, bpp)
		}
		return
	}
	for ty := 0; ty < h; ty += tile {
		for tx := 0; tx < w; tx += tile {
			x1 := min(tx+tile, w)
			for dy := ty; dy < min(ty+tile, h); dy++ {
				copyRun(dst[dy*dstStride+tx*bpp:dy*dstStride+x1*bpp], src, start(tx, dy), step, bpp)
			}
		}
	}
}

// copyRun fills the pixels of row from src, starting at offset s and
// moving step bytes per pixel.
func copyRun(row, src []byte, s, step, bpp int) {
	switch bpp {
	case 1:
		for i := range row {
			row[i] = src[s]
			s += step
		}
	case 2:
		for i := 0; i+1 < len(row); i += 2 {
			p := src[s : s+2 : s+2]
			row[i], row[i+1] = p[0], p[1]
			s += step
		}
	case 4:
		for i := 0; i+3 < len(row); i += 4 {
			p := src[s : s+4 : s+4]
			q := row[i : i+4 : i+4]
			q[0], q[1], q[2], q[3] = p[0], p[1], p[2], p[3]
			s += step
		}
	default:
		for i := 0; i < len(row); i += bpp {
			copy(row[i:i+bpp], src[s:s+bpp])
			s += step
		}
	}
}

// subsampling returns the log2 of a YCbCr ratio's horizontal and vertical
// chroma subsampling factors.
func subsampling(r image.YCbCrSubsampleRatio) (h, v uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

// ratioOf is the inverse of subsampling.
func ratioOf(h, v uint) image.YCbCrSubsampleRatio {
	switch {
	case h == 0 && v == 0:
		return image.YCbCrSubsampleRatio444
	case h == 1 && v == 0:
		return image.YCbCrSubsampleRatio422
	case h == 1 && v == 1:
		return image.YCbCrSubsampleRatio420
	case h == 0 && v == 1:
		return image.YCbCrSubsampleRatio440
	case h == 2 && v == 0:
		return image.YCbCrSubsampleRatio411
	}
	return image.YCbCrSubsampleRatio410
}

// orientYCbCr turns a YCbCr upright. The Y plane is copied exactly. The
// chroma keeps its resolution: a mirror keeps the subsampling ratio, a
// quarter turn or transpose swaps its horizontal and vertical factors
// (4:2:2 ↔ 4:4:0), and where package image has no such ratio (4:1:1 and
// 4:1:0 turned) it uses the next finer vertical one (4:4:0, 4:2:0). Each
// chroma sample is taken from the stored sample under its block's top-left
// pixel: exact when the stored width and height are multiples of the chroma
// block, and otherwise off by one pixel along the far edges, where a block
// of the upright image straddles two stored ones.
func orientYCbCr(m *image.YCbCr, o int) *image.YCbCr {
	r := m.Rect
	t, w, h := orientation(o, r.Dx(), r.Dy())
	sh, sv := subsampling(m.SubsampleRatio)
	dh, dv := sh, sv
	if o >= 5 { // transposed
		dh, dv = sv, min(sh, 1) // there is no 1:4 vertical ratio
	}
	d := image.NewYCbCr(image.Rect(0, 0, w, h), ratioOf(dh, dv))
	transformPlane(d.Y, d.YStride, m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.YStride, 1, w, h, t)

	cw, ch := (w+1<<dh-1)>>dh, (h+1<<dv-1)>>dv
	if aligned(r, sh, sv) && (dh == sh && dv == sv || dh == sv && dv == sh) {
		// The chroma blocks tile the image exactly and turn with it: the
		// chroma planes are images of their own, turned the same way.
		ct, _, _ := orientation(o, r.Dx()>>sh, r.Dy()>>sv)
		off := m.COffset(r.Min.X, r.Min.Y)
		transformPlane(d.Cb, d.CStride, m.Cb[off:], m.CStride, 1, cw, ch, ct)
		transformPlane(d.Cr, d.CStride, m.Cr[off:], m.CStride, 1, cw, ch, ct)
		return d
	}
	// Otherwise chroma sample (cx, cy) of the upright image is the stored
	// one under its block's top-left pixel (cx<<dh, cy<<dv), mapped by t.
	for cy := 0; cy < ch; cy++ {
		dy := cy << dv
		cb := d.Cb[cy*d.CStride : cy*d.CStride+cw]
		cr := d.Cr[cy*d.CStride : cy*d.CStride+cw]
		for cx := range cb {
			dx := cx << dh
			i := m.COffset(r.Min.X+t.x0+dx*t.xdx+dy*t.xdy, r.Min.Y+t.y0+dx*t.ydx+dy*t.ydy)
			cb[cx], cr[cx] = m.Cb[i], m.Cr[i]
		}
	}
	return d
}

// aligned reports whether the chroma blocks of a subsampling with the given
// shifts tile r exactly: its edges on multiples of the block's sides.
func aligned(r image.Rectangle, sh, sv uint) bool {
	mx, my := 1<<sh-1, 1<<sv-1
	return r.Min.X&mx == 0 && r.Max.X&mx == 0 && r.Min.Y&my == 0 && r.Max.Y&my == 0
}
