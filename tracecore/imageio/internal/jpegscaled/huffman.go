package jpegscaled

import (
	"bytes"
	"encoding/binary"
)

// lutBits is the length of the codes the lookup table decodes in one step:
// 9 bits cover the frequent symbols of typical tables (EOB and the short
// AC run/size codes, every code of Annex K's luminance DC table), while the
// 512-entry table stays small enough to build for every DHT in a
// progressive file.
const lutBits = 9

// A huffTable decodes one Huffman table of a DHT segment (T.81 Annex C).
type huffTable struct {
	// lut maps the next lutBits bits to symbol<<8 | code length for codes
	// of up to lutBits bits; 0 means the code is longer (or invalid).
	lut [1 << lutBits]uint16
	// fast maps the next lutBits bits straight to what a scan needs, as
	// x<<8 | n with n the number of bits to consume; 0 sends the decoder
	// to lut and slow:
	//   - in a DC table, for codes whose value bits fit in lutBits as
	//     well, x is the DC difference;
	//   - in an AC table, for codes of up to lutBits bits, n covers the
	//     code and its value bits, which skipAC skips, and x is the number
	//     of coefficients the symbol accounts for (64 for EOB, ending the
	//     block).
	fast [1 << lutBits]int32
	// maxCode[l] is the largest code of length l, or the first code of
	// length l minus 1 if there is none, so that a code of length l read
	// from the input is valid exactly when it is at most maxCode[l] (the
	// canonical codes of T.81 C.2 grow with their length).
	maxCode [17]int32
	// valOff[l] turns a code of length l into its index in vals.
	valOff [17]int32
	vals   [256]byte
}

// build sets up t from the 16 code counts and the symbols of a DHT table
// of class 0 (DC) or 1 (AC), reporting false if the counts describe more
// codes than fit in their lengths.
func (t *huffTable) build(class int, counts, vals []byte) bool {
	clear(t.lut[:])
	clear(t.fast[:])
	code, k := int32(0), int32(0)
	for l := int32(1); l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return false
		}
		t.valOff[l] = k - code
		for range n {
			if l <= lutBits {
				sym := vals[k]
				first := code << (lutBits - l)
				for i := first; i < first+1<<(lutBits-l); i++ {
					t.lut[i] = uint16(sym)<<8 | uint16(l)
					if class == 0 {
						t.fast[i] = fastDC(sym, l, i)
					} else {
						t.fast[i] = fastAC(sym, l)
					}
				}
			}
			code++
			k++
		}
		t.maxCode[l] = code - 1
		code <<= 1
	}
	copy(t.vals[:], vals)
	return true
}

// fastDC is the fast entry for lookahead i, which starts with a code of l
// bits for DC category s, or 0 if its value bits do not fit in lutBits.
func fastDC(s byte, l, i int32) int32 {
	if int32(s)+l > lutBits {
		return 0
	}
	v := i >> (lutBits - l - int32(s)) & (1<<s - 1)
	if s > 0 && v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v<<8 | (l + int32(s))
}

// fastAC is the fast entry of a code of l bits for the AC run/size
// symbol sym (T.81 F.1.2.2.1).
func fastAC(sym byte, l int32) int32 {
	s, step := int32(sym&15), int32(sym>>4)+1
	if s == 0 {
		step = 64 // EOB; run/size values 0x10–0xE0 are undefined: the same
		if sym == 0xf0 {
			step = 16 // ZRL: sixteen zeros
		}
	}
	return step<<8 | (l + s)
}

// slow decodes a code longer than lutBits from the top of acc, returning
// its symbol and length, or a length of 0 for an invalid code.
func (t *huffTable) slow(acc uint64) (sym, l uint) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		if code := int32(acc >> (64 - l)); code <= t.maxCode[l] {
			return uint(t.vals[t.valOff[l]+code]), l
		}
	}
	return 0, 0
}

// A bitReader reads the entropy-coded data of a scan, removing the stuffed
// zero byte after each 0xFF and stopping at the next marker.
type bitReader struct {
	data []byte
	pos  int // the next byte to load into acc
	// acc holds the next bits, first bit in its top bit; the bits below
	// the n valid ones are zero.
	acc uint64
	// n counts the valid bits in acc. Once the data ends (end is set) the
	// bits read past it are zeros, and n goes negative: the block being
	// decoded was not all there.
	n   int
	end bool // a marker or the end of the input stops the segment
}

// Byte masks for finding a 0xFF byte in a 64-bit word (a zero byte in its
// complement): the classic test (x-0x01…01) &^ x & 0x80…80 is nonzero
// exactly when x has a zero byte.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// fill loads whole bytes into acc until it holds more than 56 bits or the
// segment ends. Eight bytes without 0xFF, by far the common case, are
// loaded at once.
func (r *bitReader) fill() {
	for !r.end && r.n <= 56 {
		if r.pos+8 <= len(r.data) {
			w := binary.BigEndian.Uint64(r.data[r.pos:])
			if x := ^w; (x-lowBits)&^x&highBits == 0 {
				k := (64 - r.n) >> 3 // whole bytes that fit, at least 1
				w = w >> (64 - 8*k) << (64 - 8*k)
				r.acc |= w >> r.n
				r.n += 8 * k
				r.pos += k
				return
			}
		}
		if r.pos >= len(r.data) {
			r.end = true
			return
		}
		b := r.data[r.pos]
		if b == 0xff {
			if r.pos+1 >= len(r.data) || r.data[r.pos+1] != 0 {
				r.end = true // a marker (or fill bytes before one): leave pos at it
				return
			}
			r.pos++ // the stuffed zero
		}
		r.pos++
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// dcDiff decodes a DC difference: a category s (T.81 F.1.2.1) and s bits
// of value. It reports false for an invalid code.
func (r *bitReader) dcDiff(t *huffTable) (int, bool) {
	if r.n >= lutBits {
		if e := t.fast[r.acc>>(64-lutBits)]; e != 0 {
			r.acc <<= e & 0xff
			r.n -= int(e & 0xff)
			return int(e >> 8), true
		}
	}
	return r.dcDiffSlow(t)
}

// dcDiffSlow is dcDiff for what its fast table does not hold: a long code,
// a large category, or too few bits left in acc.
func (r *bitReader) dcDiffSlow(t *huffTable) (int, bool) {
	sym, ok := r.symbol(t) // fills acc with the value bits too
	if !ok || sym > 15 {   // 11 is the most 8-bit samples need; allow what fits
		return 0, false
	}
	s := uint(sym)
	return extend(r.receive(s), s), true
}

// skipAC decodes the AC coefficients of a block of a sequential scan from
// zigzag index k on (T.81 F.2.2.2) and discards them: it needs only each
// run/size symbol's run, to count coefficients, and its size, to skip the
// value bits. It reports false for an invalid code.
func (r *bitReader) skipAC(t *huffTable, k int) bool {
	for k < 64 {
		if r.n < 32 { // enough for a 16-bit code and 15 value bits
			r.fill()
		}
		e := t.fast[r.acc>>(64-lutBits)]
		if e == 0 {
			sym, l := t.slow(r.acc)
			if l == 0 {
				return false
			}
			e = fastAC(byte(sym), int32(l))
		}
		r.acc <<= e & 0xff
		r.n -= int(e & 0xff)
		k += int(e >> 8)
	}
	return true
}

// symbol decodes one Huffman code and returns its symbol, reporting false
// for an invalid code. It fills acc first, so that the symbol's value bits
// (up to 15) are there too.
func (r *bitReader) symbol(t *huffTable) (byte, bool) {
	if r.n < 32 { // enough for a 16-bit code and 15 value bits
		r.fill()
	}
	e := t.lut[r.acc>>(64-lutBits)]
	sym, l := uint(e>>8), uint(e&0xff)
	if l == 0 {
		if sym, l = t.slow(r.acc); l == 0 {
			return 0, false
		}
	}
	r.acc <<= l
	r.n -= int(l)
	return byte(sym), true
}

// receive reads s bits, 0–15, as an unsigned number (T.81 F.2.2.4); the
// caller has filled acc with symbol.
func (r *bitReader) receive(s uint) int {
	v := int(r.acc >> (64 - s) & (1<<s - 1)) // s = 0 reads nothing
	r.acc <<= s
	r.n -= int(s)
	return v
}

// extend turns s value bits v into the coefficient they code: a leading
// 0 bit marks a negative value, stored as v − (2^s − 1) (T.81 F.2.2.1).
func extend(v int, s uint) int {
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v
}

// decodeAC decodes the AC coefficients of a block of a sequential scan
// (T.81 F.2.2.2), storing those with a kept zigzag index (keep[k] ≥ 0) in
// blk[keep[k]] and setting the others of blk to 0; blk is nil for a block
// past the plane's edge. Past kmax, the last kept index, it skips the rest
// as skipAC does. It reports false for an invalid code.
func (r *bitReader) decodeAC(t *huffTable, blk []int16, keep *[64]int8, kmax int) bool {
	if blk != nil {
		clear(blk[1:])
	}
	k := 1
	for k <= kmax {
		sym, ok := r.symbol(t)
		if !ok {
			return false
		}
		run, s := int(sym>>4), uint(sym&15)
		if s == 0 {
			if run != 15 {
				return true // EOB; run/size 0x10–0xE0 are undefined: the same
			}
			k += 16 // ZRL
			continue
		}
		k += run
		v := extend(r.receive(s), s)
		if k < 64 && blk != nil && keep[k] >= 0 {
			blk[keep[k]] = int16(v)
		}
		k++
	}
	return r.skipAC(t, k)
}

// bit reads one bit, for DC refinement scans.
func (r *bitReader) bit() int {
	if r.n < 1 {
		r.fill()
	}
	b := int(r.acc >> 63)
	r.acc <<= 1
	r.n--
	return b
}

// restart moves past the RSTn marker that ends a restart interval (T.81
// E.2.4) and clears the bits left of the interval. It reports false if the
// data ends or another marker comes first, which ends the scan.
func (r *bitReader) restart() bool {
	r.acc, r.n, r.end = 0, 0, false
	i := nextMarker(r.data, r.pos, false)
	if i >= len(r.data) || !isRST(r.data[i+1]) {
		r.pos = i
		return false
	}
	r.pos = i + 2
	return true
}

func isRST(code byte) bool { return code >= 0xd0 && code <= 0xd7 }

// nextMarker returns the index of the next marker at or after i in data,
// or len(data) if there is none: the index of the 0xFF just before the
// marker's code, after any 0xFF fill bytes. A stuffed zero byte (0xFF
// 0x00) is not a marker, and neither is RSTn if skipRST is set, which
// skips a whole scan's entropy-coded data.
func nextMarker(data []byte, i int, skipRST bool) int {
	for i < len(data) {
		j := bytes.IndexByte(data[i:], 0xff)
		if j < 0 {
			break
		}
		i += j
		for i+1 < len(data) && data[i+1] == 0xff {
			i++ // fill bytes
		}
		if i+1 >= len(data) {
			break
		}
		if c := data[i+1]; c != 0 && !(skipRST && isRST(c)) {
			return i
		}
		i += 2
	}
	return len(data)
}
