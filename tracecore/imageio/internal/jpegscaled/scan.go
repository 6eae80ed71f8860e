package jpegscaled

// The kinds of scan.
const (
	sequential = iota // DC and AC of each block; the ACs are skipped
	dcFirst           // progressive DC first scan: DC >> Al, predicted
	dcRefine          // progressive DC refinement: one more bit, at Al
	acBand            // progressive AC scan: not decoded at all
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
		if mode == sequential && !d.huffSet[1][ta] {
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
		n := 0
		for _, c := range d.comps[:d.ncomp] {
			n += c.bw * c.bh
		}
		coef := make([]int16, n)
		for i := range d.ncomp {
			c := &d.comps[i]
			c.coef, coef = coef[:c.bw*c.bh], coef[c.bw*c.bh:]
		}
		d.scanned = true
	}
	if mode == acBand {
		d.pos = nextMarker(d.data, d.pos, true)
		return nil
	}
	for _, s := range sc[:ns] {
		if mode != dcRefine && s.c.q == 0 {
			// Latch the quantiser at the component's first DC scan; a
			// refinement only adds bits to the coefficient. A zero
			// quantiser (invalid) leaves the plane mid-grey either way.
			s.c.q = d.quant[s.c.tq]
		}
	}
	end, err := d.scan(sc[:ns], mode, uint(al))
	if err != nil {
		return err
	}
	d.pos = nextMarker(d.data, end, true)
	return nil
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
								ok = r.skipAC(s.ac)
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
							b := r.bit()
							if r.n < 0 {
								return r.pos, d.scanEnds(my*nx+mx, nx*ny)
							}
							if x < c.bw && y < c.bh {
								dc = int(c.coef[y*c.bw+x]) | b<<al
							}
						}
						if x < c.bw && y < c.bh {
							c.coef[y*c.bw+x] = int16(min(max(dc, -1<<15), 1<<15-1))
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
