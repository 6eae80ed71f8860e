package tracecore

// Thresholds: the luminance histogram of the visible pixels, Otsu's method
// for Options.Threshold "auto", and the pass that turns luminance and alpha
// into bits.

// histLevels is the number of histogram bins: the 256 grey levels of 8-bit
// images, luminance y falling in bin y/lumLevel. A threshold of k/255 makes
// exactly bins 0 … k−1 black (see lumCut), so Otsu's choice k is reported as
// the threshold k/255 and reproduces the same bitmap when given back as a
// fixed threshold.
const histLevels = 256

// autoFallbackLevel is the threshold, as a level k/255, of an image whose
// visible pixels all lie in one bin (or that has none): nothing to split.
// 128/255 is the level nearest potrace's 0.5, and being a bin boundary it
// puts the whole bin on one side, so a uniform image is never cut in two by
// sub-level noise: a dark one is all black, a light one all white.
const autoFallbackLevel = 128

// lumaStats summarise the visible pixels of the image to trace.
type lumaStats struct {
	hist    [histLevels]uint64 // visible pixels by level
	pixels  uint64             // all pixels
	visible uint64             // pixels with alpha ≥ 50 %
	dark    uint64             // visible pixels with luminance below the cut
	darkSum uint64             // the sum of their levels
}

// add counts a row; dark and darkSum count the pixels below cut.
func (s *lumaStats) add(ys []uint32, as []uint16, cut uint32) {
	s.pixels += uint64(len(ys))
	c := int64(cut)
	if as == nil {
		for _, y := range ys {
			v := uint8(y / lumLevel) // y ≤ lumFull16, so the level is ≤ 255
			b := isBlack(int64(y), c)
			s.hist[v]++
			s.dark += b
			s.darkSum += b * uint64(v)
		}
		s.visible += uint64(len(ys))
		return
	}
	as = as[:len(ys)]
	for i, y := range ys {
		if as[i] >= alphaHalf {
			v := uint8(y / lumLevel)
			b := isBlack(int64(y), c)
			s.hist[v]++
			s.dark += b
			s.darkSum += b * uint64(v)
			s.visible++
		}
	}
}

// addLevels counts a row into the histogram only, leaving dark and darkSum
// to splitAt: the pass for Otsu's threshold, which is not known until
// every row is counted.
func (s *lumaStats) addLevels(ys []uint32, as []uint16) {
	s.pixels += uint64(len(ys))
	if as == nil {
		for _, y := range ys {
			s.hist[uint8(y/lumLevel)]++ // y ≤ lumFull16, so the level is ≤ 255
		}
		s.visible += uint64(len(ys))
		return
	}
	as = as[:len(ys)]
	for i, y := range ys {
		if as[i] >= alphaHalf {
			s.hist[uint8(y/lumLevel)]++
			s.visible++
		}
	}
}

// splitAt sets dark and darkSum from the histogram for the cut at level k.
func (s *lumaStats) splitAt(k int) {
	s.dark, s.darkSum = 0, 0
	for v, c := range s.hist[:k] {
		s.dark += c
		s.darkSum += uint64(v) * c
	}
}

// levelSum is the sum of the levels of the visible pixels.
func (s *lumaStats) levelSum() uint64 {
	var sum uint64
	for v, c := range s.hist {
		sum += uint64(v) * c
	}
	return sum
}

// otsu returns the level k in [1, 255] that splits hist into levels below k
// and levels from k on with the largest between-class variance (Otsu 1979),
// and false when fewer than two levels are occupied.
//
// For a split with n0 pixels of level sum s0 below and n1, s1 above, the
// variance is n0·n1·(s1/n1 − s0/n0)², up to a constant factor. The counts
// and sums are exact integers; the variance is computed in float64 with
// every product rounded explicitly (no fused multiply-add), so the choice is
// the same on every platform. Splits inside a run of empty levels have
// bit-identical variances; when the best is such a run, k is its middle
// (rounded up), so a picture of only black and white gets 128/255, not 1/255.
func otsu(hist *[histLevels]uint64) (int, bool) {
	var n, s uint64
	for v, c := range hist {
		n += c
		s += uint64(v) * c
	}
	best := -1.0
	first, last := 0, 0
	var n0, s0 uint64
	for k := 1; k < histLevels; k++ {
		n0 += hist[k-1]
		s0 += uint64(k-1) * hist[k-1]
		n1, s1 := n-n0, s-s0
		if n0 == 0 {
			continue
		}
		if n1 == 0 {
			break
		}
		d := float64(s1)/float64(n1) - float64(s0)/float64(n0)
		v := float64(float64(n0)*float64(n1)) * float64(d*d)
		switch {
		case v > best:
			best, first, last = v, k, k
		case v == best && last == k-1:
			last = k
		}
	}
	if best < 0 {
		return 0, false
	}
	return (first + last + 1) / 2, true
}

// thresholdRows makes the bitmap: pixel x of row y is black when it is
// visible (alpha ≥ 50 %, or no alpha) and its luminance is below cut. A cut
// above lumFull16 makes every visible pixel black (the silhouette rule).
func (t *Tracer) thresholdRows(bm *Bitmap, src rowSource, cut int64) error {
	w := bm.Width
	for y := 0; y < bm.Height; y++ {
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		ys, as := src.row(y)
		var word uint64
		if as == nil {
			for x, v := range ys {
				word = word<<1 | isBlack(int64(v), cut)
				if x%wordBits == wordBits-1 {
					row[x/wordBits] = word
				}
			}
		} else {
			as = as[:len(ys)]
			for x, v := range ys {
				// alpha − alphaHalf is negative exactly for invisible pixels
				visible := ^uint64(int64(as[x])-alphaHalf) >> 63
				word = word<<1 | isBlack(int64(v), cut)&visible
				if x%wordBits == wordBits-1 {
					row[x/wordBits] = word
				}
			}
		}
		flushRow(row, w, word)
		if err := t.advance(w); err != nil {
			return err
		}
	}
	return nil
}

// A rowSource gives the luminance and alpha (nil when opaque) of each row of
// the image to threshold: the image itself at full size, or its downscaled
// planes.
type rowSource interface {
	row(y int) ([]uint32, []uint16)
}
