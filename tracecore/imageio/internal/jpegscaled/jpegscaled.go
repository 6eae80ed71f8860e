package jpegscaled

import (
	"errors"
	"fmt"
	"image"
)

var (
	// ErrUnsupported is wrapped by the errors for valid JPEGs this package
	// does not decode (see the package documentation): the caller decodes
	// those with image/jpeg.
	ErrUnsupported = errors.New("jpegscaled: unsupported")
	// ErrCorrupt is wrapped by the errors for malformed or truncated data.
	ErrCorrupt = errors.New("jpegscaled: corrupt")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// Decode decodes the JPEG in data at 1/8 scale: the result has bounds
// image.Rect(0, 0, ceil(W/8), ceil(H/8)) where W×H is the frame size, and
// each pixel is the mean of the 8×8 block of the full-size image it
// covers (edge blocks: the encoder's padding included). It returns an
// *image.Gray for a grey JPEG and an *image.YCbCr for a colour one.
func Decode(data []byte) (image.Image, error) {
	return DecodeScaled(data, 1)
}

// DecodeScaled decodes the JPEG in data at scale n/8, n = 1, 2 or 4: n×n
// pixels for each 8×8 block, so the result has bounds image.Rect(0, 0,
// ceil(W·n/8), ceil(H·n/8)) for a W×H frame. Scale 1/8 is Decode's; at 1/4
// and 1/2 each pixel is the inverse DCT of the block's low-frequency
// coefficients at the centre of the 4×4 or 2×2 samples it stands for (see
// idct). Any other n is an error wrapping ErrUnsupported.
func DecodeScaled(data []byte, n int) (image.Image, error) {
	if n != 1 && n != 2 && n != 4 {
		return nil, unsupportedf("scale %d/8", n)
	}
	d := &decoder{data: data}
	d.setScale(n)
	if err := d.run(false); err != nil {
		return nil, err
	}
	return d.image()
}

// Supported reports whether Decode can read the JPEG in data: baseline or
// extended-sequential Huffman 8-bit (SOF0, SOF1) or progressive Huffman
// 8-bit (SOF2), with 1 component or 3 YCbCr components in one of
// image.YCbCr's subsample ratios. It reads the marker segments up to the
// first scan only; a caller falls back to image/jpeg when it is false.
func Supported(data []byte) bool {
	d := &decoder{data: data}
	d.setScale(1)
	return d.run(true) == nil
}

// A component is one colour component of the frame (T.81 B.2.2).
type component struct {
	id   byte
	h, v int // sampling factors, 1–4
	tq   int // quantisation table selector, 0–3
	// bw and bh count the blocks of the component's own plane, ⌈x/8⌉×⌈y/8⌉
	// for its x×y samples (T.81 A.1.1): the reduced plane's size in blocks.
	bw, bh int
	// q holds the quantisers of the kept coefficients (the top-left n×n of
	// the 8×8, row by row), latched at the first scan that codes the
	// component's DC coefficient; zeros until then leave the plane
	// mid-grey.
	q       [16]int32
	latched bool
	// coef holds the kept coefficients of bw×bh blocks, row by row, n×n
	// of them for each block (row by row: the DC first).
	coef []int16
	// nz has a bit for each of the 64 coefficients of each block, in
	// zigzag order, set once a progressive scan makes it nonzero: an AC
	// refinement scan reads a correction bit for exactly those (T.81
	// G.1.2.3), kept or not. Only progressive frames at n > 1 use it.
	nz []uint64
}

// A decoder holds the state of one Decode or Supported call.
type decoder struct {
	data []byte
	pos  int // the next byte of the marker structure to read
	// n is the scale, n/8: 1, 2 or 4 samples across each block. keep maps
	// each zigzag index to the index of the coefficient among a block's
	// kept n×n, or -1, and kmax is the largest zigzag index kept.
	n    int
	keep [64]int8
	kmax int

	quant    [4][64]int32 // each quantisation table, in natural order
	quantSet [4]bool
	huff     [2][4]huffTable // DC (class 0) and AC (class 1) tables
	huffSet  [2][4]bool
	ri       int // restart interval in MCUs; 0 for none

	jfif      bool // a JFIF APP0 segment: the components are YCbCr
	adobe     bool // an Adobe APP14 segment, with its colour transform
	transform byte

	sof           byte // the SOFn marker's code; 0 before the frame header
	width, height int
	ncomp         int
	comps         [3]component
	hmax, vmax    int
	mcusX, mcusY  int // MCUs across and down in interleaved scans
	ratio         image.YCbCrSubsampleRatio
	// scanned is set once the first scan's header is read, and the
	// coefficients are allocated.
	scanned bool
}

// run reads the marker structure (T.81 B.2) from SOI to EOI, decoding the
// scans, or with headerOnly stopping at the first scan's header.
func (d *decoder) run(headerOnly bool) error {
	if d.n == 0 {
		d.setScale(1)
	}
	return d.markers(headerOnly)
}

func (d *decoder) markers(headerOnly bool) error {
	if len(d.data) < 2 || d.data[0] != 0xff || d.data[1] != 0xd8 {
		return corruptf("missing SOI marker")
	}
	d.pos = 2
	for {
		if d.pos >= len(d.data) {
			return d.truncated("marker")
		}
		if d.data[d.pos] != 0xff {
			return corruptf("marker expected at offset %d, found 0x%02X", d.pos, d.data[d.pos])
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xff {
			d.pos++ // fill bytes may precede any marker (T.81 B.1.1.2)
		}
		if d.pos >= len(d.data) {
			return d.truncated("marker")
		}
		code := d.data[d.pos]
		d.pos++
		var err error
		switch {
		case code == 0xd9: // EOI
			if !d.scanned {
				return corruptf("EOI before the first scan")
			}
			return nil
		case code == 0x01 || isRST(code): // TEM, stray RSTn: no segment
		case code == 0x00 || code == 0xd8:
			return corruptf("unexpected marker 0x%02X at offset %d", code, d.pos-1)
		case code == 0xc0 || code == 0xc1 || code == 0xc2: // baseline, extended, progressive
			err = d.frame(code)
		case code == 0xcc:
			return unsupportedf("DAC: arithmetic coding")
		case code == 0xc3 || code >= 0xc5 && code <= 0xcf && code != 0xc8:
			return unsupportedf("SOF%d: %s", code-0xc0, sofKinds[code-0xc0])
		case code == 0xde || code == 0xdf:
			return unsupportedf("hierarchical marker 0x%02X", code)
		case code == 0xc4:
			err = d.dht()
		case code == 0xdb:
			err = d.dqt()
		case code == 0xdd:
			err = d.dri()
		case code == 0xe0 || code == 0xee:
			err = d.app(code)
		case code == 0xda:
			if err = d.sos(headerOnly); err == nil && headerOnly {
				return nil
			}
		default: // APPn, COM, DNL, JPGn, reserved: skipped
			_, err = d.segment("marker segment")
		}
		if err != nil {
			return err
		}
	}
}

// sofKinds names the processes of the SOFn markers this package does not
// read, indexed by n (T.81 Table B.1).
var sofKinds = [16]string{
	3:  "lossless",
	5:  "hierarchical sequential",
	6:  "hierarchical progressive",
	7:  "hierarchical lossless",
	9:  "arithmetic-coded extended sequential",
	10: "arithmetic-coded progressive",
	11: "arithmetic-coded lossless",
	13: "arithmetic-coded hierarchical sequential",
	14: "arithmetic-coded hierarchical progressive",
	15: "arithmetic-coded hierarchical lossless",
}

// truncated is the error for input that ends at or in a marker segment.
func (d *decoder) truncated(what string) error {
	if d.scanned {
		return corruptf("%s: input ends before EOI", what)
	}
	return corruptf("%s: truncated before the first scan", what)
}

// segment returns the payload of the marker segment at d.pos, after its
// length, and moves past it.
func (d *decoder) segment(name string) ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, d.truncated(name)
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 {
		return nil, corruptf("%s: length %d", name, n)
	}
	if d.pos+n > len(d.data) {
		return nil, d.truncated(name)
	}
	p := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return p, nil
}

// app reads the APP0 and APP14 segments that say how three components
// are to be read: JFIF means YCbCr; Adobe's transform flag means RGB (0),
// YCbCr (1) or YCCK (2).
func (d *decoder) app(code byte) error {
	p, err := d.segment("APP")
	if err != nil {
		return err
	}
	switch {
	case code == 0xe0 && len(p) >= 5 && string(p[:5]) == "JFIF\x00":
		d.jfif = true
	case code == 0xee && len(p) >= 12 && string(p[:5]) == "Adobe":
		// "Adobe", version (2 bytes), flags0 (2), flags1 (2), transform.
		d.adobe, d.transform = true, p[11]
	}
	return nil
}

// dqt reads a DQT segment (T.81 B.2.4.1), its entries in zigzag order.
func (d *decoder) dqt() error {
	p, err := d.segment("DQT")
	if err != nil {
		return err
	}
	for len(p) > 0 {
		pq, tq := p[0]>>4, p[0]&15
		if tq > 3 {
			return corruptf("DQT: table %d out of range", tq)
		}
		var n int
		switch pq {
		case 0:
			n = 1 + 64
		case 1:
			n = 1 + 128
		default:
			return corruptf("DQT: precision %d", pq)
		}
		if len(p) < n {
			return corruptf("DQT: table %d: segment too short", tq)
		}
		for k := range 64 {
			q := int32(p[1+k])
			if pq == 1 {
				q = int32(p[1+2*k])<<8 | int32(p[2+2*k])
			}
			d.quant[tq][zigzag[k]] = q
		}
		d.quantSet[tq] = true
		p = p[n:]
	}
	return nil
}

// dht reads a DHT segment (T.81 B.2.4.2).
func (d *decoder) dht() error {
	p, err := d.segment("DHT")
	if err != nil {
		return err
	}
	for len(p) > 0 {
		if len(p) < 17 {
			return corruptf("DHT: segment too short")
		}
		tc, th := p[0]>>4, p[0]&15
		if tc > 1 {
			return corruptf("DHT: table class %d", tc)
		}
		if th > 3 {
			return corruptf("DHT: table %d out of range", th)
		}
		total := 0
		for _, c := range p[1:17] {
			total += int(c)
		}
		if total > 256 {
			return corruptf("DHT: table %d: %d codes", th, total)
		}
		if len(p) < 17+total {
			return corruptf("DHT: table %d: segment too short", th)
		}
		if !d.huff[tc][th].build(int(tc), p[1:17], p[17:17+total]) {
			return corruptf("DHT: table %d: more codes than their lengths allow", th)
		}
		d.huffSet[tc][th] = true
		p = p[17+total:]
	}
	return nil
}

// dri reads a DRI segment (T.81 B.2.4.4).
func (d *decoder) dri() error {
	p, err := d.segment("DRI")
	if err != nil {
		return err
	}
	if len(p) != 2 {
		return corruptf("DRI: length %d", len(p)+2)
	}
	d.ri = int(p[0])<<8 | int(p[1])
	return nil
}

// frame reads a SOF0, SOF1 or SOF2 frame header (T.81 B.2.2) and, when
// decoding, allocates the coefficient planes.
func (d *decoder) frame(code byte) error {
	p, err := d.segment("SOF")
	if err != nil {
		return err
	}
	if d.sof != 0 {
		return corruptf("SOF: a second frame header")
	}
	if len(p) < 6 {
		return corruptf("SOF: segment too short")
	}
	if p[0] != 8 {
		return unsupportedf("SOF: %d-bit precision", p[0])
	}
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	n := int(p[5])
	switch {
	case d.height == 0:
		return unsupportedf("SOF: height 0 (defined by a DNL marker)")
	case d.width == 0:
		return corruptf("SOF: width 0")
	case n == 0:
		return corruptf("SOF: no components")
	case len(p) != 6+3*n:
		return corruptf("SOF: length %d for %d components", len(p)+2, n)
	case n == 4:
		return unsupportedf("SOF: 4 components (CMYK or YCCK)")
	case n != 1 && n != 3:
		return unsupportedf("SOF: %d components", n)
	}
	d.sof, d.ncomp = code, n
	for i := range n {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = p[6+3*i], int(p[7+3*i]>>4), int(p[7+3*i]&15), int(p[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return corruptf("SOF: component %d: sampling factors %d×%d", c.id, c.h, c.v)
		}
		if c.tq > 3 {
			return corruptf("SOF: component %d: quantisation table %d out of range", c.id, c.tq)
		}
		for _, o := range d.comps[:i] {
			if o.id == c.id {
				return corruptf("SOF: component id %d twice", c.id)
			}
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if n == 3 {
		y, cb, cr := &d.comps[0], &d.comps[1], &d.comps[2]
		if cb.h != cr.h || cb.v != cr.v || y.h%cb.h != 0 || y.v%cb.v != 0 {
			return unsupportedf("SOF: sampling factors %d×%d, %d×%d, %d×%d", y.h, y.v, cb.h, cb.v, cr.h, cr.v)
		}
		switch [2]int{y.h / cb.h, y.v / cb.v} {
		case [2]int{1, 1}:
			d.ratio = image.YCbCrSubsampleRatio444
		case [2]int{2, 1}:
			d.ratio = image.YCbCrSubsampleRatio422
		case [2]int{2, 2}:
			d.ratio = image.YCbCrSubsampleRatio420
		case [2]int{1, 2}:
			d.ratio = image.YCbCrSubsampleRatio440
		case [2]int{4, 1}:
			d.ratio = image.YCbCrSubsampleRatio411
		case [2]int{4, 2}:
			d.ratio = image.YCbCrSubsampleRatio410
		default:
			return unsupportedf("SOF: sampling factors %d×%d, %d×%d, %d×%d", y.h, y.v, cb.h, cb.v, cr.h, cr.v)
		}
	}
	d.mcusX = ceilDiv(d.width, 8*d.hmax)
	d.mcusY = ceilDiv(d.height, 8*d.vmax)
	for i := range n {
		c := &d.comps[i]
		c.bw = ceilDiv(ceilDiv(d.width*c.h, d.hmax), 8)
		c.bh = ceilDiv(ceilDiv(d.height*c.v, d.vmax), 8)
	}
	return nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// colour checks, at the first scan when every APP segment that comes
// before image data has been read, that three components are YCbCr.
func (d *decoder) colour() error {
	if d.ncomp != 3 {
		return nil
	}
	if d.adobe && d.transform != 1 {
		return unsupportedf("Adobe APP14: colour transform %d (not YCbCr)", d.transform)
	}
	c := &d.comps
	if !d.jfif && !d.adobe && c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B' {
		return unsupportedf("SOF: component ids R, G, B (an RGB JPEG)")
	}
	return nil
}

// image converts the kept coefficients to samples.
func (d *decoder) image() (image.Image, error) {
	r := image.Rect(0, 0, ceilDiv(d.width*d.n, 8), ceilDiv(d.height*d.n, 8))
	if d.ncomp == 1 {
		m := image.NewGray(r)
		d.comps[0].samples(m.Pix, m.Stride, r.Dx(), r.Dy(), d.n)
		return m, nil
	}
	m := image.NewYCbCr(r, d.ratio)
	y, cb := &d.comps[0], &d.comps[1]
	cw, ch := m.CStride, len(m.Cb)/max(m.CStride, 1)
	// The planes hold enough samples by construction, ⌈⌈w/a⌉/8⌉·n ≥
	// ⌈⌈w·n/8⌉/a⌉ (at n = 1 exactly as many); check rather than trust it,
	// since a shortfall would misplace every row.
	if y.bw*d.n < r.Dx() || y.bh*d.n < r.Dy() || cb.bw*d.n < cw || cb.bh*d.n < ch {
		return nil, unsupportedf("plane sizes %d×%d and %d×%d do not fit image.YCbCr", y.bw, y.bh, cb.bw, cb.bh)
	}
	d.comps[0].samples(m.Y, m.YStride, r.Dx(), r.Dy(), d.n)
	d.comps[1].samples(m.Cb, m.CStride, cw, ch, d.n)
	d.comps[2].samples(m.Cr, m.CStride, cw, ch, d.n)
	return m, nil
}

// samples writes the component's w×h samples at scale n/8 to dst, stride
// apart: the n×n of each block, cropped at the right and bottom edges.
//
// At n = 1 a sample is clamp(round(DC×Q/8) + 128): the DC coefficient is
// 8 times the block's mean (T.81 A.3.3, with both C(0) = 1/√2), and the
// level shift of A.3.1 adds 128. DC×Q fits in 32 bits: |DC| ≤ 2^15 and
// Q < 2^16. At n = 2 and 4 idct computes the samples.
func (c *component) samples(dst []byte, stride, w, h, n int) {
	if n == 1 {
		for y := range h {
			out := dst[y*stride : y*stride+w]
			for x, dc := range c.coef[y*c.bw : y*c.bw+w] {
				out[x] = uint8(min(max((int(dc)*int(c.q[0])+4)>>3+128, 0), 255))
			}
		}
		return
	}
	nn := n * n
	var blk [16]uint8
	for by := range c.bh {
		for bx := range c.bw {
			x0, y0 := bx*n, by*n
			if x0 >= w || y0 >= h {
				continue
			}
			i := (by*c.bw + bx) * nn
			idct(&blk, c.coef[i:i+nn], &c.q, n)
			for y := range min(n, h-y0) {
				copy(dst[(y0+y)*stride+x0:(y0+y)*stride+min(x0+n, w)], blk[y*n:y*n+n])
			}
		}
	}
}
