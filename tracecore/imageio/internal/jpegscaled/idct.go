package jpegscaled

// Reduced inverse DCT.
//
// T.81 A.3.3 defines the inverse DCT of an 8×8 block of dequantised
// coefficients S(v,u) as
//
//	s(y,x) = 1/4 Σ_u Σ_v C(u) C(v) S(v,u) cos((2x+1)uπ/16) cos((2y+1)vπ/16)
//
// with C(0) = 1/√2 and C(u) = 1 otherwise, for x, y = 0…7. Read as a
// function of real x and y it is the block's image as a continuous surface.
// At scale n/8 (n = 2 or 4) a block gives n×n samples, each standing for
// m×m samples of the full-size block, m = 8/n: sample (j,i) covers x in
// [m·i, m·i + m − 1], whose centre is x = m·i + (m−1)/2, and there
//
//	(2x+1)uπ/16 = (2m·i + m)uπ/16 = (2i+1)uπ/(2n).
//
// The basis functions with u ≥ n are dropped: they vary within a sample's
// m×m and would alias to lower ones (u and 2n − u take the same values at
// the centres, up to sign), and an encoder's quantisation makes them small
// in smooth areas. So the n/8 scale sample is
//
//	s(j,i) = 1/4 Σ_{u<n} Σ_{v<n} C(u) C(v) S(v,u) cos((2i+1)uπ/(2n)) cos((2j+1)vπ/(2n))
//	       = 1/8 Σ_{u<n} Σ_{v<n} a(u) a(v) S(v,u) k_n(i,u) k_n(j,v)
//
// with a(0) = 1, a(u) = √2 otherwise (1/4·C(u)C(v) = 1/8·a(u)a(v)) and
// k_n(i,u) = cos((2i+1)uπ/(2n)). With the DC alone it is S(0,0)/8, the
// block's mean, as at 1/8 scale. The sum is separable: idct computes it in
// two passes of n×n×n products over the table idctK, a(u)·k_n(i,u) in
// units of 2^-13, and rounds once, then adds the level shift of A.3.1 and
// clamps to 0–255 as a full decode does.
//
// The arithmetic is integer, so native and wasm builds agree to the bit.
// A dequantised coefficient is clamped to ±2^20 (an 8-bit frame's are
// below 2^11 plus half a quantiser, < 2^16), so the first pass stays below
// 2^20·2^14·4 = 2^36 and the second below 2^52.

// idctBits is the fixed-point precision of idctK: 13 bits make each
// constant accurate to 2^-14, far below a sample level after the 1/8.
const idctBits = 13

// idctK2 and idctK4 are a(u)·cos((2i+1)uπ/(2n)) × 2^13, rounded, for
// n = 2 and 4, indexed [i][u]. TestIDCTConstants recomputes them.
// √2·cos(π/4) = 1 exactly; √2·cos(π/8) = 1.30656…, √2·cos(3π/8) = 0.54120….
var (
	idctK2 = [2][2]int64{
		{8192, 8192},
		{8192, -8192},
	}
	idctK4 = [4][4]int64{
		{8192, 10703, 8192, 4433},
		{8192, 4433, -8192, -10703},
		{8192, -4433, -8192, 10703},
		{8192, -10703, 8192, -4433},
	}
)

// idct writes the n×n samples of a block, row by row, to out from its kept
// coefficients coef (n×n, row by row) and their quantisers q.
func idct(out *[16]uint8, coef []int16, q *[16]int32, n int) {
	var f [16]int64 // dequantised, clamped
	flat := true
	for i := range n * n {
		f[i] = min(max(int64(coef[i])*int64(q[i]), -1<<20), 1<<20)
		if i > 0 && f[i] != 0 {
			flat = false
		}
	}
	const shift = 2*idctBits + 3 // the two passes' units and the 1/8
	if flat {
		// The DC alone: the block's mean, S(0,0)/8, as at 1/8 scale.
		v := uint8(min(max((f[0]+4)>>3+128, 0), 255))
		for i := range n * n {
			out[i] = v
		}
		return
	}
	var t [16]int64 // t[v][i]: the first pass, along each row of coefficients
	if n == 2 {
		for v := range 2 {
			for i := range 2 {
				t[v*2+i] = idctK2[i][0]*f[v*2] + idctK2[i][1]*f[v*2+1]
			}
		}
		for j := range 2 {
			for i := range 2 {
				s := idctK2[j][0]*t[i] + idctK2[j][1]*t[2+i]
				out[j*2+i] = uint8(min(max((s+1<<(shift-1))>>shift+128, 0), 255))
			}
		}
		return
	}
	for v := range 4 {
		r := f[v*4 : v*4+4]
		for i := range 4 {
			k := &idctK4[i]
			t[v*4+i] = k[0]*r[0] + k[1]*r[1] + k[2]*r[2] + k[3]*r[3]
		}
	}
	for j := range 4 {
		k := &idctK4[j]
		for i := range 4 {
			s := k[0]*t[i] + k[1]*t[4+i] + k[2]*t[8+i] + k[3]*t[12+i]
			out[j*4+i] = uint8(min(max((s+1<<(shift-1))>>shift+128, 0), 255))
		}
	}
}

// zigzag maps the zigzag index of a coefficient (T.81 Figure A.6) to its
// natural index, 8·v + u: the sequence runs along the anti-diagonals
// u + v = 0, 1, …, 14, up and to the right on the even ones (v falling)
// and down and to the left on the odd ones.
var zigzag = func() (z [64]uint8) {
	k := 0
	for d := range 15 {
		for i := range d + 1 {
			v := i // odd diagonals: v rising
			if d%2 == 0 {
				v = d - i
			}
			if u := d - v; u < 8 && v < 8 {
				z[k] = uint8(8*v + u)
				k++
			}
		}
	}
	return z
}()

// setScale sets the decoder's scale n/8 and the kept coefficients: those
// of the top-left n×n.
func (d *decoder) setScale(n int) {
	d.n, d.kmax = n, 0
	for k, nat := range zigzag {
		v, u := int(nat>>3), int(nat&7)
		d.keep[k] = -1
		if u < n && v < n {
			d.keep[k] = int8(v*n + u)
			d.kmax = k
		}
	}
}
