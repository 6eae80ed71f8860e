package tracecore

import (
	"fmt"
	"math/bits"
)

// wordBits is the number of pixels packed into one word of a Bitmap row.
const wordBits = 64

// A Bitmap is a two-colour image packed one bit per pixel, 1 for black.
//
// Each row occupies Stride = ceil(Width/64) consecutive uint64 words of Words. Pixels are packed
// most significant bit first: pixel x of row y is bit 63-(x%64) of
// Words[y*Stride+x/64]. This is the bit order of a PBM (P4) file read eight bytes
// at a time, and it lets a scan find the leftmost black pixel of a word with
// bits.LeadingZeros64. The bits past Width in the last word of a row are always
// zero: everything outside the bitmap is white.
//
// Coordinates are y-down: row 0 is the top of the image.
type Bitmap struct {
	Width, Height int
	Stride        int // words per row
	Words         []uint64
}

// NewBitmap returns an all-white bitmap of the given size. It returns an error
// wrapping ErrTooLarge when width×height exceeds maxPixels (or overflows), and
// an error wrapping ErrInvalidInput for negative sizes; nothing is allocated then.
func NewBitmap(width, height int, maxPixels int64) (*Bitmap, error) {
	if err := CheckSize(width, height, maxPixels); err != nil {
		return nil, err
	}
	stride := (width + wordBits - 1) / wordBits
	return &Bitmap{Width: width, Height: height, Stride: stride, Words: make([]uint64, stride*height)}, nil
}

// CheckSize reports whether an image of width×height pixels may be allocated
// under maxPixels (DefaultMaxPixels when maxPixels ≤ 0). The product is checked
// in 64 bits, so it cannot overflow.
func CheckSize(width, height int, maxPixels int64) error {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if width < 0 || height < 0 {
		return fmt.Errorf("%w: negative size %d×%d", ErrInvalidInput, width, height)
	}
	// height > maxPixels/width, not width*height > maxPixels: the product
	// can overflow int64 when maxPixels is huge.
	if int64(width) > maxPixels || int64(height) > maxPixels || (width > 0 && int64(height) > maxPixels/int64(width)) {
		return fmt.Errorf("%w: %d×%d pixels is over the limit of %d", ErrTooLarge, width, height, maxPixels)
	}
	return nil
}

// Black reports whether pixel (x, y) is black. Pixels outside the bitmap are white.
func (b *Bitmap) Black(x, y int) bool {
	if uint(x) >= uint(b.Width) || uint(y) >= uint(b.Height) {
		return false
	}
	return b.Words[y*b.Stride+x/wordBits]>>(wordBits-1-uint(x%wordBits))&1 != 0
}

// Set makes pixel (x, y) black or white. It panics if (x, y) is outside the bitmap.
func (b *Bitmap) Set(x, y int, black bool) {
	if uint(x) >= uint(b.Width) || uint(y) >= uint(b.Height) {
		panic(fmt.Sprintf("tracecore: Bitmap.Set(%d, %d) outside %d×%d", x, y, b.Width, b.Height))
	}
	i := y*b.Stride + x/wordBits
	m := uint64(1) << (wordBits - 1 - uint(x%wordBits))
	if black {
		b.Words[i] |= m
	} else {
		b.Words[i] &^= m
	}
}

// Invert swaps black and white, a word at a time.
func (b *Bitmap) Invert() {
	last := b.lastWordMask()
	for y := 0; y < b.Height; y++ {
		row := b.Words[y*b.Stride : (y+1)*b.Stride]
		for i := range row {
			row[i] = ^row[i]
		}
		if len(row) > 0 {
			row[len(row)-1] &= last
		}
	}
}

// lastWordMask has a 1 for every bit of a row's last word that is inside the bitmap.
func (b *Bitmap) lastWordMask() uint64 {
	r := uint(b.Width % wordBits)
	if r == 0 {
		return ^uint64(0)
	}
	return ^uint64(0) << (wordBits - r)
}

// Count returns the number of black pixels.
func (b *Bitmap) Count() int {
	n := 0
	for _, w := range b.Words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Clone returns a deep copy of b.
func (b *Bitmap) Clone() *Bitmap {
	c := *b
	c.Words = append([]uint64(nil), b.Words...)
	return &c
}

// copyInto makes dst a copy of b, reusing dst's storage when it is large
// enough. Bits past Width are cleared in the copy, so a caller-built bitmap
// that left them set still has nothing outside it.
func (b *Bitmap) copyInto(dst *Bitmap) {
	n := b.Stride * b.Height
	words := dst.Words
	if cap(words) < n {
		words = make([]uint64, n)
	}
	words = words[:n]
	copy(words, b.Words[:n])
	*dst = Bitmap{Width: b.Width, Height: b.Height, Stride: b.Stride, Words: words}
	if last := dst.lastWordMask(); last != ^uint64(0) && b.Stride > 0 {
		for i := b.Stride - 1; i < n; i += b.Stride {
			words[i] &= last
		}
	}
}

// validate reports whether b's fields are consistent: the exact Stride for
// its Width and Words long enough for its Height.
func (b *Bitmap) validate() error {
	if b == nil {
		return fmt.Errorf("%w: nil bitmap", ErrInvalidInput)
	}
	if b.Width < 0 || b.Height < 0 || b.Stride != (b.Width+wordBits-1)/wordBits || len(b.Words) < b.Stride*b.Height {
		return fmt.Errorf("%w: malformed bitmap: %d×%d with stride %d and %d words", ErrInvalidInput, b.Width, b.Height, b.Stride, len(b.Words))
	}
	return nil
}

// flipRow inverts pixels x0 ≤ x < x1 of row y (x0 ≤ x1), a word at a time.
func (b *Bitmap) flipRow(y, x0, x1 int) {
	if x0 >= x1 {
		return
	}
	row := b.Words[y*b.Stride : (y+1)*b.Stride]
	i0, i1 := x0/wordBits, (x1-1)/wordBits
	m0 := ^uint64(0) >> uint(x0%wordBits)
	m1 := ^uint64(0) << uint(wordBits-1-(x1-1)%wordBits)
	if i0 == i1 {
		row[i0] ^= m0 & m1
		return
	}
	row[i0] ^= m0
	for i := i0 + 1; i < i1; i++ {
		row[i] = ^row[i]
	}
	row[i1] ^= m1
}
