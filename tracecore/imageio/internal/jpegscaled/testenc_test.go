package jpegscaled

import (
	"image"
	"math"
	"math/rand/v2"
)

// This file is a small JPEG encoder for the tests: it writes chosen
// quantised coefficients, so that the expected DC-only image is known
// exactly, in the layouts image/jpeg's encoder does not write: restart
// intervals, fill bytes, non-interleaved and progressive scans, every
// sampling ratio, 16-bit quantisation tables and long Huffman codes. It
// follows T.81 like the decoder, but image/jpeg decoding its output checks
// it independently.

// A spec describes a JPEG for encodeTest.
type spec struct {
	w, h     int
	sampling [][2]int // h, v of each component: 1 or 3 components
	// progressive writes a DC first scan with Al=1, an AC scan per
	// component and a DC refinement scan; otherwise one sequential scan.
	progressive bool
	// successive makes a progressive file's AC scans those of libjpeg's
	// default script instead: first scans of the bands 1–5 and 6–63 with
	// Al = 1 and EOB runs across blocks, then a refinement of 1–63.
	successive bool
	separate   bool // one DC scan per component rather than interleaved
	restart    int  // restart interval in MCUs, 0 for none
	fill       bool // 0xFF fill bytes before every marker after SOS
	quant16    bool // 16-bit quantisation tables, DC quantiser 264
	acMax      int  // largest AC coefficient magnitude
	seed       uint64
}

// A testJPEG is the output of encodeTest.
type testJPEG struct {
	data []byte
	want image.Image // the DC-only image
	// coefs holds each component's coefficients, in zigzag order, for its
	// own bw×bh blocks row by row, and quant its DC and AC quantisers.
	coefs [][][64]int
	bw    []int
	quant [][2]int
}

// Huffman tables as DHT counts (codes of length 1–16) and symbols. DC
// table 0 has codes of 2–9 bits, table 1 of 1–12 bits, so that some DC
// codes take the slow path; the AC table has 162 symbols of 2–16 bits and
// the 14 EOBn symbols of progressive scans (T.81 G.1.2.2) in 16 bits.
var (
	dcCounts = [2][16]byte{
		{0, 1, 5, 1, 1, 1, 1, 1, 1},
		{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	}
	dcSymbols = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	acCounts  = [16]byte{0, 1, 2, 2, 4, 6, 8, 10, 12, 14, 16, 20, 20, 20, 20, 7 + 14}
	acSymbols = func() []byte {
		// EOB first, then run/size symbols from small run+size up, ZRL
		// among them: roughly the order of their frequency.
		syms := []byte{0x00}
		for sum := 1; sum <= 25; sum++ {
			for run := 0; run <= 15; run++ {
				if size := sum - run; size >= 1 && size <= 10 {
					syms = append(syms, byte(run<<4|size))
				}
			}
			if sum == 8 {
				syms = append(syms, 0xf0)
			}
		}
		for r := 1; r <= 14; r++ {
			syms = append(syms, byte(r<<4)) // EOBn
		}
		return syms
	}()
)

// A code is a Huffman code: its bits, right-aligned, and length.
type code struct {
	bits uint32
	len  int
}

// codes assigns the canonical codes of T.81 C.2 to a table's symbols.
func codes(counts [16]byte, syms []byte) map[byte]code {
	m := map[byte]code{}
	c, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range counts[l-1] {
			m[syms[k]] = code{c, l}
			c++
			k++
		}
		c <<= 1
	}
	return m
}

// A bitWriter writes entropy-coded data with byte stuffing.
type bitWriter struct {
	out  []byte
	acc  uint64
	n    int
	fill bool
}

func (w *bitWriter) bits(v uint32, n int) {
	w.acc = w.acc<<n | uint64(v)&(1<<n-1)
	w.n += n
	for w.n >= 8 {
		b := byte(w.acc >> (w.n - 8))
		w.out = append(w.out, b)
		if b == 0xff {
			w.out = append(w.out, 0) // stuffing (T.81 F.1.2.3)
		}
		w.n -= 8
	}
}

// flush pads the last byte with 1 bits (T.81 F.1.2.3).
func (w *bitWriter) flush() {
	if w.n > 0 {
		w.bits(0xff, 8-w.n)
	}
}

func (w *bitWriter) marker(code byte) {
	if w.fill {
		w.out = append(w.out, 0xff, 0xff)
	}
	w.out = append(w.out, 0xff, code)
}

func (w *bitWriter) segment(code byte, payload ...byte) {
	w.marker(code)
	n := len(payload) + 2
	w.out = append(w.out, byte(n>>8), byte(n))
	w.out = append(w.out, payload...)
}

// category is the size category of v (T.81 F.1.2.1) and its value bits.
func category(v int) (int, uint32) {
	s, a := 0, v
	if a < 0 {
		a = -a
	}
	for a>>s != 0 {
		s++
	}
	if v < 0 {
		v += 1<<s - 1
	}
	return s, uint32(v)
}

// A comp is a component being encoded: its coefficients in zigzag order
// over the MCU-padded grid of pw×ph blocks, of which the first bw×bh are
// the component's own.
type comp struct {
	h, v, tq       int
	bw, bh, pw, ph int
	blocks         [][64]int
}

func encodeTest(s spec) testJPEG {
	rng := rand.New(rand.NewPCG(s.seed, 7))
	q0 := [2]int{8, 16} // DC quantisers of tables 0 (luma) and 1 (chroma)
	if s.quant16 {
		q0 = [2]int{264, 300}
	}
	qAC := 2
	if s.acMax > 4 {
		qAC = 1
	}
	hmax, vmax := 1, 1
	for _, f := range s.sampling {
		hmax, vmax = max(hmax, f[0]), max(vmax, f[1])
	}
	mcusX, mcusY := (s.w+8*hmax-1)/(8*hmax), (s.h+8*vmax-1)/(8*vmax)
	comps := make([]comp, len(s.sampling))
	for i, f := range s.sampling {
		c := &comps[i]
		c.h, c.v, c.tq = f[0], f[1], min(i, 1)
		c.bw = ((s.w*c.h+hmax-1)/hmax + 7) / 8
		c.bh = ((s.h*c.v+vmax-1)/vmax + 7) / 8
		c.pw, c.ph = max(mcusX*c.h, c.bw), max(mcusY*c.v, c.bh)
		c.blocks = make([][64]int, c.pw*c.ph)
		// DC: a smooth pattern with noise, within the range whose block
		// means stay clear of 0 and 255 (±100 sample levels).
		dcMax := 800 / q0[c.tq]
		for y := range c.ph {
			for x := range c.pw {
				b := &c.blocks[y*c.pw+x]
				f := math.Sin(float64(x)*0.7+float64(i)) * math.Cos(float64(y)*0.4)
				b[0] = min(max(int(f*float64(dcMax)*0.8)+rng.IntN(dcMax/4+1)-dcMax/8, -dcMax), dcMax)
				for range rng.IntN(7) {
					if s.acMax > 0 {
						b[1+rng.IntN(63)] = (1 + rng.IntN(s.acMax)) * (1 - 2*rng.IntN(2))
					}
				}
			}
		}
	}

	w := &bitWriter{out: []byte{0xff, 0xd8}}
	for t := range 2 {
		if s.quant16 {
			p := []byte{0x10 | byte(t), byte(q0[t] >> 8), byte(q0[t])}
			for range 63 {
				p = append(p, 0, byte(qAC))
			}
			w.segment(0xdb, p...)
		} else {
			p := []byte{byte(t), byte(q0[t])}
			for range 63 {
				p = append(p, byte(qAC))
			}
			w.segment(0xdb, p...)
		}
	}
	sof := byte(0xc0)
	if s.progressive {
		sof = 0xc2
	} else if s.quant16 {
		sof = 0xc1 // baseline allows 8-bit tables only
	}
	p := []byte{8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(comps))}
	for i, c := range comps {
		p = append(p, byte(i+1), byte(c.h<<4|c.v), byte(c.tq))
	}
	w.segment(sof, p...)
	dht := []byte{}
	for t := range 2 {
		dht = append(append(append(dht, byte(t)), dcCounts[t][:]...), dcSymbols...)
		dht = append(append(append(dht, 0x10|byte(t)), acCounts[:]...), acSymbols...)
	}
	w.segment(0xc4, dht...)
	if s.restart > 0 {
		w.segment(0xdd, byte(s.restart>>8), byte(s.restart))
	}
	dcCodes := [2]map[byte]code{codes(dcCounts[0], dcSymbols), codes(dcCounts[1], dcSymbols)}
	acCodes := codes(acCounts, acSymbols)

	// scan writes a scan of the components ci, coding each block with
	// block, which gets the component index and the block.
	// endRun, if set, ends a progressive AC scan's pending EOB run before
	// each restart marker and at the end of the scan.
	var endRun func()
	scan := func(ci []int, ss, se, ah, al int, block func(i int, b *[64]int, pred *int)) {
		p := []byte{byte(len(ci))}
		for _, i := range ci {
			p = append(p, byte(i+1), byte(comps[i].tq<<4|comps[i].tq))
		}
		w.segment(0xda, append(p, byte(ss), byte(se), byte(ah<<4|al))...)
		pred := make([]int, len(comps))
		nx, ny := mcusX, mcusY
		if len(ci) == 1 {
			nx, ny = comps[ci[0]].bw, comps[ci[0]].bh
		}
		for m := range nx * ny {
			if s.restart > 0 && m > 0 && m%s.restart == 0 {
				if endRun != nil {
					endRun()
				}
				w.flush()
				w.fill = s.fill
				w.marker(0xd0 + byte(m/s.restart-1)%8)
				clear(pred)
			}
			mx, my := m%nx, m/nx
			for _, i := range ci {
				c := &comps[i]
				h, v := c.h, c.v
				if len(ci) == 1 {
					h, v = 1, 1
				}
				for by := range v {
					for bx := range h {
						block(i, &c.blocks[(my*v+by)*c.pw+mx*h+bx], &pred[i])
					}
				}
			}
		}
		if endRun != nil {
			endRun()
		}
		w.flush()
		w.fill = s.fill
	}
	dc := func(i int, diff int) {
		s, bits := category(diff)
		c := dcCodes[comps[i].tq][byte(s)]
		w.bits(c.bits, c.len)
		w.bits(bits, s)
	}
	ac := func(b *[64]int) {
		run := 0
		for k := 1; k < 64; k++ {
			if b[k] == 0 {
				run++
				continue
			}
			for ; run > 15; run -= 16 {
				w.bits(acCodes[0xf0].bits, acCodes[0xf0].len)
			}
			s, bits := category(b[k])
			c := acCodes[byte(run<<4|s)]
			w.bits(c.bits, c.len)
			w.bits(bits, s)
			run = 0
		}
		if run > 0 {
			w.bits(acCodes[0].bits, acCodes[0].len)
		}
	}
	all := make([]int, len(comps))
	for i := range all {
		all[i] = i
	}
	dcScans := [][]int{all}
	if s.separate || len(comps) == 1 {
		dcScans = nil
		for i := range comps {
			dcScans = append(dcScans, []int{i})
		}
	}
	if !s.progressive {
		for _, ci := range dcScans {
			scan(ci, 0, 63, 0, 0, func(i int, b *[64]int, pred *int) {
				dc(i, b[0]-*pred)
				*pred = b[0]
				ac(b)
			})
		}
	} else {
		for _, ci := range dcScans {
			scan(ci, 0, 0, 0, 1, func(i int, b *[64]int, pred *int) {
				dc(i, b[0]>>1-*pred)
				*pred = b[0] >> 1
			})
		}
		for i := range comps {
			if s.successive {
				continue
			}
			// AC first scans code the 63 coefficients as a sequential
			// scan does when no EOB run is longer than one block.
			scan([]int{i}, 1, 63, 0, 0, func(i int, b *[64]int, pred *int) { ac(b) })
		}
		if s.successive {
			for _, band := range [][2]int{{1, 5}, {6, 63}} {
				for i := range comps {
					e := &eobWriter{w: w, codes: acCodes}
					endRun = e.end
					scan([]int{i}, band[0], band[1], 0, 1, func(_ int, b *[64]int, _ *int) { e.first(b, band[0], band[1], 1) })
				}
			}
			for i := range comps {
				e := &eobWriter{w: w, codes: acCodes}
				endRun = e.end
				scan([]int{i}, 1, 63, 1, 0, func(_ int, b *[64]int, _ *int) { e.refine(b, 1, 63, 0) })
			}
			endRun = nil
		}
		for _, ci := range dcScans {
			scan(ci, 0, 0, 1, 0, func(i int, b *[64]int, pred *int) { w.bits(uint32(b[0]&1), 1) })
		}
	}
	w.marker(0xd9)

	want := func(c *comp) []byte {
		pix := make([]byte, c.bw*c.bh)
		for y := range c.bh {
			for x := range c.bw {
				pix[y*c.bw+x] = byte(min(max((c.blocks[y*c.pw+x][0]*q0[c.tq]+4)>>3+128, 0), 255))
			}
		}
		return pix
	}
	r := image.Rect(0, 0, (s.w+7)/8, (s.h+7)/8)
	out := testJPEG{data: w.out}
	for _, c := range comps {
		own := make([][64]int, 0, c.bw*c.bh)
		for y := range c.bh {
			own = append(own, c.blocks[y*c.pw:y*c.pw+c.bw]...)
		}
		out.coefs = append(out.coefs, own)
		out.bw = append(out.bw, c.bw)
		out.quant = append(out.quant, [2]int{q0[c.tq], qAC})
	}
	if len(comps) == 1 {
		out.want = &image.Gray{Pix: want(&comps[0]), Stride: comps[0].bw, Rect: r}
	} else {
		ratio := map[[2]int]image.YCbCrSubsampleRatio{
			{1, 1}: image.YCbCrSubsampleRatio444, {2, 1}: image.YCbCrSubsampleRatio422,
			{2, 2}: image.YCbCrSubsampleRatio420, {1, 2}: image.YCbCrSubsampleRatio440,
			{4, 1}: image.YCbCrSubsampleRatio411, {4, 2}: image.YCbCrSubsampleRatio410,
		}[[2]int{comps[0].h / comps[1].h, comps[0].v / comps[1].v}]
		out.want = &image.YCbCr{
			Y: want(&comps[0]), Cb: want(&comps[1]), Cr: want(&comps[2]),
			YStride: comps[0].bw, CStride: comps[1].bw, SubsampleRatio: ratio, Rect: r,
		}
	}
	return out
}

// An eobWriter writes the blocks of a progressive AC scan (T.81 G.1.2.2,
// G.1.2.3), gathering blocks whose band ends without a new coefficient
// into EOB runs. A run is written as EOBn and its extra bits, then the
// correction bits of each of its blocks, since the decoder reads them
// block by block as the run goes on.
type eobWriter struct {
	w     *bitWriter
	codes map[byte]code
	run   int      // blocks in the pending EOB run
	bits  []uint32 // correction bits of the pending run's blocks, in order
}

func (e *eobWriter) symbol(sym byte) {
	c := e.codes[sym]
	e.w.bits(c.bits, c.len)
}

// end writes the pending EOB run, if any.
func (e *eobWriter) end() {
	if e.run == 0 {
		return
	}
	r := 0
	for e.run>>(r+1) != 0 {
		r++
	}
	e.symbol(byte(r << 4))
	e.w.bits(uint32(e.run-1<<r), r)
	for _, b := range e.bits {
		e.w.bits(b, 1)
	}
	e.run, e.bits = 0, e.bits[:0]
}

// eob adds a block to the pending run, with the correction bits of its
// band's tail; a run stops at 32767 blocks, the most EOB14 codes.
func (e *eobWriter) eob(tail []uint32) {
	e.run++
	e.bits = append(e.bits, tail...)
	if e.run == 1<<15-1 {
		e.end()
	}
}

// shifted is coefficient v with its magnitude shifted right by al, the
// point transform of an AC coefficient (T.81 G.1.1.1.2).
func shifted(v, al int) int {
	if v < 0 {
		return -(-v >> al)
	}
	return v >> al
}

// first writes a block's band ss…se in a first AC scan with point
// transform al.
func (e *eobWriter) first(b *[64]int, ss, se, al int) {
	run := 0
	for k := ss; k <= se; k++ {
		v := shifted(b[k], al)
		if v == 0 {
			run++
			continue
		}
		e.end()
		for ; run > 15; run -= 16 {
			e.symbol(0xf0)
		}
		s, bits := category(v)
		e.symbol(byte(run<<4 | s))
		e.w.bits(bits, s)
		run = 0
	}
	if run > 0 {
		e.eob(nil)
	}
}

// refine writes a block's band ss…se in an AC refinement scan of bit al:
// each coefficient nonzero before it (magnitude above 2^(al+1) − 1) gets
// its bit al as a correction bit, written after the symbol whose zero run
// passes it; each that becomes nonzero (magnitude bit al its highest) is a
// run/size symbol of size 1 and its sign.
func (e *eobWriter) refine(b *[64]int, ss, se, al int) {
	type pending struct {
		zeros int // zero coefficients passed before it since the last symbol
		bit   uint32
	}
	var corr []pending
	zeros := 0
	// emit writes the symbols for a new coefficient after zeros zero ones,
	// with the correction bits of the coefficients their runs pass.
	emit := func(sym byte, sign int, upto int) {
		e.symbol(sym)
		if sign >= 0 {
			e.w.bits(uint32(sign), 1)
		}
		i := 0
		for ; i < len(corr) && corr[i].zeros <= upto; i++ {
			e.w.bits(corr[i].bit, 1)
		}
		corr = corr[i:]
	}
	for k := ss; k <= se; k++ {
		a := b[k]
		if a < 0 {
			a = -a
		}
		switch {
		case a>>(al+1) != 0:
			corr = append(corr, pending{zeros, uint32(a >> al & 1)})
		case a>>al == 0:
			zeros++
		default: // new: |v| >> al == 1
			e.end()
			for zeros > 15 {
				// ZRL passes 16 zeros and the nonzero ones before the 16th.
				emit(0xf0, -1, 15)
				zeros -= 16
				for i := range corr {
					corr[i].zeros -= 16
				}
			}
			sign := 1
			if b[k] < 0 {
				sign = 0
			}
			emit(byte(zeros<<4|1), sign, zeros)
			zeros = 0
		}
	}
	if zeros > 0 || len(corr) > 0 {
		tail := make([]uint32, len(corr))
		for i, c := range corr {
			tail[i] = c.bit
		}
		e.eob(tail)
	}
}
