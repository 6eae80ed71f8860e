package jpegscaled

import "math/bits"

// The kinds of scan.
const (
	sequential = iota // DC and AC of each block; at 1/8 the ACs are skipped
	dcFirst           // progressive DC first scan: DC >> Al, predicted
	dcRefine          // progressive DC refinement: one more bit, at Al
	acBand            // progressive AC scan: at 1/8 not decoded at all
)

// A scanComp is a component of the scan being decoded.
type scanComp struct {
	c      *component
	dc, ac *huffTable
	pred   int // DC prediction: the previous block's DC (>> Al)
}

// sos reads a scan header (T.81 B.2.3) and decodes the scan's
// entropy-coded data, or with headerOnly stops after checking the header.
func (d *decoder) sos(headerOnly bool) error {
	p, err := d.segment("SOS")
	if err != nil {
		return err
	}
	if d.sof == 0 {
		return corruptf("SOS: no frame header before the scan")
	}
	if !d.scanned {
		if err := d.colour(); err != nil {
			return err
		}
	}
	if len(p) < 1 {
		return corruptf("SOS: segment too short")
	}
	ns := int(p[0])
	if ns < 1 || ns > d.ncomp {
		return corruptf("SOS: %d components in a frame of %d", ns, d.ncomp)
	}
	if len(p) != 4+2*ns {
		return corruptf("SOS: length %d for %d components", len(p)+2, ns)
	}
	ss, se, ah, al := int(p[1+2*ns]), int(p[2+2*ns]), int(p[3+2*ns]>>4), int(p[3+2*ns]&15)
	mode := sequential
	if d.sof != 0xc2 {
		al = 0 // sequential scans have Ss=0, Se=63, Ah=Al=0; others ignored
	} else {
		// Progressive scans code either the DC coefficient alone (Ss = Se =
		// 0) or a band of ACs; the point transform shifts at most 13 bits
		// (T.81 B.2.3, G.1.1.1).
		if ss > se || se > 63 || ss == 0 && se != 0 || ah > 13 || al > 13 {
			return corruptf("SOS: progression Ss=%d Se=%d Ah=%d Al=%d", ss, se, ah, al)
		}
		switch {
		case ss > 0:
			// An AC scan codes one component (T.81 G.1.1.1.1).
			if ns != 1 {
				return corruptf("SOS: AC scan of %d components", ns)
			}
			mode = acBand
		case ah == 0:
			mode = dcFirst
		default:
			mode = dcRefine
		}
	}
	var sc [3]scanComp
	for i := range ns {
		id, td, ta := p[1+2*i], int(p[2+2*i]>>4), int(p[2+2*i]&15)
		var c *component
		for j := range d.ncomp {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return corruptf("SOS: component id %d not in the frame", id)
		}
		for _, o := range sc[:i] {
			if o.c == c {
				return corruptf("SOS: component id %d twice", id)
			}
		}
		if td > 3 || ta > 3 {
			return corruptf("SOS: component %d: Huffman table %d/%d out of range", id, td, ta)
		}
		if (mode == sequential || mode == dcFirst) && !d.huffSet[0][td] {
			return corruptf("SOS: component %d: DC Huffman table %d not defined", id, td)
		}
		if (mode == sequential || mode == acBand) && !d.huffSet[1][ta] {
			return corruptf("SOS: component %d: AC Huffman table %d not defined", id, ta)
		}
		if (mode == sequential || mode == dcFirst) && !d.quantSet[c.tq] {
			return corruptf("SOS: component %d: quantisation table %d not defined", id, c.tq)
		}
		sc[i] = scanComp{c: c, dc: &d.huff[0][td], ac: &d.huff[1][ta]}
	}
	if headerOnly {
		return nil
	}
	if !d.scanned {
		d.allocate()
	}
	var end int
	switch {
	case mode == acBand && d.n == 1:
		d.pos = nextMarker(d.data, d.pos, true)
		return nil
	case mode == acBand:
		end, err = d.acScan(&sc[0], ss, se, ah, uint(al))
	default:
		for _, s := range sc[:ns] {
			if mode != dcRefine && !s.c.latched {
				// Latch the quantisers at the component's first DC
				// scan; a refinement only adds bits to the coefficient.
				// A zero quantiser (invalid) makes a mid-grey sample.
				n := d.n
				for i := range n * n {
					s.c.q[i] = d.quant[s.c.tq][i/n*8+i%n]
				}
				s.c.latched = true
			}
		}
		end, err = d.scan(sc[:ns], mode, uint(al))
	}
	if err != nil {
		return err
	}
	d.pos = nextMarker(d.data, end, true)
	return nil
}

// allocate allocates the kept coefficients of every component, n×n a
// block, and for a progressive frame at n > 1 the blocks' nonzero masks.
func (d *decoder) allocate() {
	nn, blocks := d.n*d.n, 0
	for _, c := range d.comps[:d.ncomp] {
		blocks += c.bw * c.bh
	}
	coef := make([]int16, blocks*nn)
	var nz []uint64
	if d.sof == 0xc2 && d.n > 1 {
		nz = make([]uint64, blocks)
	}
	for i := range d.ncomp {
		c := &d.comps[i]
		b := c.bw * c.bh
		c.coef, coef = coef[:b*nn], coef[b*nn:]
		if nz != nil {
			c.nz, nz = nz[:b], nz[b:]
		}
	}
	d.scanned = true
}

// scan decodes the entropy-coded data starting at d.pos in MCU order
// (T.81 A.2) and returns the position it stopped at. Data that runs out or
// meets a marker before the last MCU, a missing restart marker and an
// invalid Huffman code are errors wrapping ErrCorrupt.
func (d *decoder) scan(sc []scanComp, mode int, al uint) (int, error) {
	r := bitReader{data: d.data, pos: d.pos}
	// A scan of one component is not interleaved: its MCU is one block,
	// and it covers the component's own blocks, not the MCU-padded ones
	// (T.81 A.2.2). An interleaved scan's MCU holds h×v blocks of each
	// component (A.2.3); blocks past the plane's edge are decoded, since
	// they take part in DC prediction, and dropped.
	nx, ny := d.mcusX, d.mcusY
	if len(sc) == 1 {
		nx, ny = sc[0].c.bw, sc[0].c.bh
	}
	nn := d.n * d.n
	left := d.ri // MCUs left in the restart interval
	for my := range ny {
		for mx := range nx {
			if d.ri > 0 {
				if left == 0 {
					if !r.restart() {
						return r.pos, corruptf("scan: restart marker missing before MCU %d of %d", my*nx+mx, nx*ny)
					}
					for i := range sc {
						sc[i].pred = 0 // T.81 F.2.1.3.1
					}
					left = d.ri
				}
				left--
			}
			for i := range sc {
				s := &sc[i]
				c := s.c
				h, v := c.h, c.v
				if len(sc) == 1 {
					h, v = 1, 1
				}
				for by := range v {
					y := my*v + by
					for bx := range h {
						x := mx*h + bx
						in := x < c.bw && y < c.bh
						b := (y*c.bw + x) * nn // the block's first kept coefficient
						var dc int
						switch mode {
						case sequential, dcFirst:
							// dcDiff's fast path, inlined: the call costs
							// a fifth of the time of a progressive DC scan.
							diff, ok := 0, true
							if e := s.dc.fast[r.acc>>(64-lutBits)]; e != 0 && r.n >= lutBits {
								r.acc <<= e & 0xff
								r.n -= int(e & 0xff)
								diff = int(e >> 8)
							} else {
								diff, ok = r.dcDiff(s.dc)
							}
							if ok && mode == sequential {
								if d.n == 1 {
									ok = r.skipAC(s.ac, 1)
								} else {
									var blk []int16
									if in {
										blk = c.coef[b : b+nn]
									}
									ok = r.decodeAC(s.ac, blk, &d.keep, d.kmax)
								}
							}
							if !ok {
								return r.pos, corruptf("scan: invalid Huffman code in MCU %d of %d", my*nx+mx, nx*ny)
							}
							if r.n < 0 {
								return r.pos, d.scanEnds(my*nx+mx, nx*ny)
							}
							s.pred += diff
							dc = s.pred << al
						case dcRefine:
							bit := r.bit()
							if r.n < 0 {
								return r.pos, d.scanEnds(my*nx+mx, nx*ny)
							}
							if in {
								dc = int(c.coef[b]) | bit<<al
							}
						}
						if in {
							c.coef[b] = clamp16(dc)
						}
					}
				}
			}
		}
	}
	return r.pos, nil
}

// scanEnds is the error for a scan whose data ends, or meets a marker,
// inside MCU i of n.
func (d *decoder) scanEnds(i, n int) error {
	return corruptf("scan: data ends in MCU %d of %d", i, n)
}

func clamp16(v int) int16 { return int16(min(max(v, -1<<15), 1<<15-1)) }

// acScan decodes a progressive AC scan of one component's band Ss…Se at
// n > 1 (T.81 G.1.2.2 for a first scan, Ah = 0; G.1.2.3 for a refinement)
// and returns the position it stopped at. Every coefficient of the band is
// decoded, to stay in step, but only the kept ones are stored; the blocks'
// nonzero masks record which coefficients a refinement scan corrects.
// Errors are scan's.
func (d *decoder) acScan(s *scanComp, ss, se, ah int, al uint) (int, error) {
	r := bitReader{data: d.data, pos: d.pos}
	c := s.c
	nn := d.n * d.n
	n := c.bw * c.bh // a non-interleaved scan: one block an MCU
	left := d.ri
	eobrun := 0 // blocks left in the current EOB run
	for i := range n {
		if d.ri > 0 {
			if left == 0 {
				if !r.restart() {
					return r.pos, corruptf("scan: restart marker missing before MCU %d of %d", i, n)
				}
				eobrun = 0
				left = d.ri
			}
			left--
		}
		blk, nz := c.coef[i*nn:(i+1)*nn], &c.nz[i]
		var ok bool
		if ah == 0 {
			ok = r.acFirst(s.ac, blk, nz, &d.keep, ss, se, al, &eobrun)
		} else {
			ok = r.acRefine(s.ac, blk, nz, &d.keep, d.kmax, ss, se, al, &eobrun)
		}
		if !ok {
			return r.pos, corruptf("scan: invalid Huffman code in MCU %d of %d", i, n)
		}
		if r.n < 0 {
			return r.pos, d.scanEnds(i, n)
		}
	}
	return r.pos, nil
}

// eobRun reads the rest of an EOBn symbol (T.81 G.1.2.2): the number of
// blocks its band ends in, this one included, is 2^run plus run more bits.
func (r *bitReader) eobRun(run int) int {
	return 1<<run + r.receive(uint(run))
}

// acFirst decodes a block's band in a first AC scan (T.81 G.1.2.2): each
// coefficient is coded as in a sequential scan but shifted left by Al, and
// an EOB run ends the band in this block and the next ones.
func (r *bitReader) acFirst(t *huffTable, blk []int16, nz *uint64, keep *[64]int8, ss, se int, al uint, eobrun *int) bool {
	if *eobrun > 0 {
		*eobrun--
		return true
	}
	for k := ss; k <= se; {
		sym, ok := r.symbol(t)
		if !ok {
			return false
		}
		run, s := int(sym>>4), uint(sym&15)
		if s == 0 {
			if run == 15 {
				k += 16 // ZRL
				continue
			}
			*eobrun = r.eobRun(run) - 1
			return true
		}
		k += run
		v := extend(r.receive(s), s)
		if k <= se { // a coefficient past the band is dropped
			*nz |= 1 << k
			if keep[k] >= 0 {
				blk[keep[k]] = clamp16(v << al)
			}
		}
		k++
	}
	return true
}

// acRefine decodes a block's band in an AC refinement scan (T.81
// G.1.2.3). A coefficient that is nonzero already gets one correction bit,
// bit Al of its magnitude, wherever the scan passes it; a run/size symbol
// (size 1: a new coefficient ±2^Al, its sign the next bit) counts only the
// zero coefficients it skips; ZRL skips 16 zero ones; an EOB run ends the
// band, after the correction bits of the rest of its nonzero ones, in this
// block and the next ones. The block's nonzero mask finds the coefficients
// a symbol passes without visiting each.
func (r *bitReader) acRefine(t *huffTable, blk []int16, nz *uint64, keep *[64]int8, kmax, ss, se int, al uint, eobrun *int) bool {
	band := ^uint64(0) >> (63 - se) // zigzag indices 0…se
	k := ss
	for *eobrun == 0 && k <= se {
		sym, ok := r.symbol(t)
		if !ok {
			return false
		}
		run, s := int(sym>>4), uint(sym&15)
		v := 0
		switch {
		case s == 1:
			v = 1 << al
			if r.receive(1) == 0 {
				v = -v
			}
		case s != 0:
			return false // a refinement's new coefficients are ±1 (<< Al)
		case run != 15:
			*eobrun = r.eobRun(run)
			continue
		}
		// Skip run zero coefficients and put v (0 for ZRL) in the next
		// zero one, p, correcting the nonzero ones before it; with no
		// such zero one the band ends.
		from := band & (^uint64(0) << k)
		z := ^*nz & from
		for range run {
			z &= z - 1
		}
		p := se + 1
		if z != 0 {
			p = bits.TrailingZeros64(z)
		}
		r.refineAll(blk, *nz&from&(1<<p-1), keep, kmax, al)
		if p <= se && v != 0 {
			*nz |= 1 << p
			if keep[p] >= 0 {
				blk[keep[p]] = int16(v)
			}
		}
		k = p + 1
	}
	if *eobrun > 0 {
		r.refineAll(blk, *nz&band&(^uint64(0)<<k), keep, kmax, al)
		*eobrun--
	}
	return true
}

// refineAll reads the correction bits of the nonzero coefficients whose
// bits are set in mask, in zigzag order, setting those of kept ones; past
// kmax, the last kept index, it skips the bits all at once.
func (r *bitReader) refineAll(blk []int16, mask uint64, keep *[64]int8, kmax int, al uint) {
	for mask != 0 {
		k := bits.TrailingZeros64(mask)
		if k > kmax {
			r.skip(bits.OnesCount64(mask))
			return
		}
		r.refine(blk, keep[k], al)
		mask &= mask - 1
	}
}

// skip discards the next n bits.
func (r *bitReader) skip(n int) {
	for n > 0 {
		if r.n < 32 {
			r.fill()
		}
		c := min(n, 32)
		r.acc <<= uint(c)
		r.n -= c
		n -= c
	}
}

// refine reads the correction bit of a nonzero coefficient, the bit Al of
// its magnitude, and sets it in blk[i] if the coefficient is kept (i ≥ 0).
func (r *bitReader) refine(blk []int16, i int8, al uint) {
	if r.n < 1 {
		r.fill()
	}
	bit := r.receive(1)
	if i < 0 || bit == 0 {
		return
	}
	c := int(blk[i])
	if c >= 0 {
		c |= 1 << al
	} else {
		c = -(-c | 1<<al)
	}
	blk[i] = clamp16(c)
}
