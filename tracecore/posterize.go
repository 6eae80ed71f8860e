package tracecore

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"runtime"
	"sync"
	"sync/atomic"
)

// Posterize: an image traced as Options.Steps stacked layers, each one
// tone. Thresholds t_1 < … < t_N (fixed, or by multilevel Otsu) cut the
// luminance of the visible pixels into bands; layer k is every visible pixel
// darker than t_k, so darker layers are subsets of lighter ones and are
// drawn over them; the band from t_N up is background. Each layer is traced
// by the ordinary stages and filled with a tone taken from the pixels of its
// own band, [t_{k−1}, t_k). The rules are in docs/pixels.md, "Posterize".

// MaxSteps is the largest Options.Steps: eight tones already read as a
// continuous photograph at placeholder size, and every layer is a full trace.
const MaxSteps = 8

// The fill strategies of Options.FillStrategy.
const (
	FillDominant = "dominant" // the most frequent level (colour bin) of the band
	FillMean     = "mean"     // the band's mean level (colour), rounded
	FillMedian   = "median"   // the band's lower median level (per channel)
	FillSpread   = "spread"   // evenly spaced from the darkest band's mean to the lightest's
)

// A Layer is one tone of a posterized trace: the outlines of the pixels
// darker than its threshold, filled with Color.
type Layer struct {
	// Color is the layer's fill, #rrggbb.
	Color string
	Paths []Path
}

func (o Options) validatePosterize(bad func(string, string, ...any) error) error {
	if o.Steps < 0 || o.Steps > MaxSteps {
		return bad("steps", "%d is outside [0, %d]", o.Steps, MaxSteps)
	}
	switch o.FillStrategy {
	case "", FillDominant, FillMean, FillMedian, FillSpread:
	default:
		return bad("fillstrategy", "%q is not one of dominant, mean, median, spread", o.FillStrategy)
	}
	if o.Steps >= 2 && o.Invert {
		return bad("invert", "cannot be combined with steps %d", o.Steps)
	}
	if o.Thresholds == nil {
		return nil
	}
	if len(o.Thresholds) != o.Steps || o.Steps < 2 {
		return bad("thresholds", "has %d levels for steps %d", len(o.Thresholds), o.Steps)
	}
	prev := 0.0
	for _, v := range o.Thresholds {
		if !(v > prev && v < 1) { // NaN fails
			return bad("thresholds", "%v are not ascending in (0, 1)", o.Thresholds)
		}
		prev = v
	}
	return nil
}

// multiOtsu returns the n levels k_1 < … < k_n in [1, 255] that cut hist
// into the n+1 classes [0, k_1), [k_1, k_2), …, [k_n, 256) with the largest
// between-class variance, that is the largest Σ S_c²/N_c over the classes
// (N_c pixels of level sum S_c; an empty class counts 0). It is Otsu's
// criterion for n thresholds, maximised exactly over every cut by dynamic
// programming in O(n·256²). The sums are exact integers; each term is
// float64(S·S)/N with the product rounded explicitly, and the terms are
// added in a fixed order, so the choice is the same on every platform. On
// a tie the smaller cut wins, from the lightest class down.
//
// With fewer than two occupied levels there is nothing to split: ok is
// false and the levels are evenly spaced, round(256·k/(n+1)) (128 for one).
//
// cost, if not nil, is otsuCostLen float64s of scratch memory.
func multiOtsu(hist *[histLevels]uint64, n int, cost []float64) (levels []int, ok bool) {
	levels = make([]int, n)
	occupied := 0
	for _, c := range hist {
		if c > 0 {
			occupied++
		}
	}
	if occupied < 2 {
		for k := range levels {
			levels[k] = (2*(k+1)*histLevels + n + 1) / (2 * (n + 1))
		}
		return levels, false
	}
	const L = histLevels
	var cnt, sum [L + 1]uint64
	for v, c := range hist {
		cnt[v+1] = cnt[v] + c
		sum[v+1] = sum[v] + uint64(v)*c
	}
	// cost[b][a] is the term of the class [a, b), for a < b: stored by end
	// so that the search below, over the start a, reads it in order.
	if len(cost) < otsuCostLen {
		cost = make([]float64, otsuCostLen)
	}
	for b := 1; b <= L; b++ {
		row := cost[b*(L+1):][:b]
		for a := range row {
			row[a] = 0
			if nc := cnt[b] - cnt[a]; nc > 0 {
				s := float64(sum[b] - sum[a])
				row[a] = float64(s*s) / float64(nc)
			}
		}
	}
	// best[b] is the largest total of c classes covering [0, b); from[c][b]
	// the start of the last of them.
	classes := n + 1
	best := make([]float64, L+1)
	next := make([]float64, L+1)
	from := make([][L + 1]int16, classes)
	for b := 1; b <= L; b++ {
		best[b] = cost[b*(L+1)]
	}
	for c := 2; c <= classes; c++ {
		for b := c; b <= L; b++ {
			v, arg := -1.0, 0
			row := cost[b*(L+1):][:b]
			for a := c - 1; a < b; a++ {
				if x := best[a] + row[a]; x > v {
					v, arg = x, a
				}
			}
			next[b], from[c-1][b] = v, int16(arg)
		}
		best, next = next, best
	}
	b := L
	for c := classes - 1; c >= 1; c-- {
		b = int(from[c][b])
		levels[c-1] = b
	}
	return levels, true
}

// otsuCostLen is the size of multiOtsu's table of class terms.
const otsuCostLen = (histLevels + 1) * (histLevels + 1)

// TraceImage with opts.Steps ≥ 2: prepare the luminance planes once, cut
// them into layers, trace each layer with t.
func (t *Tracer) posterize(ctx context.Context, img image.Image, opts Options) (*Result, error) {
	r := img.Bounds()
	if err := CheckSize(r.Dx(), r.Dy(), opts.MaxPixels); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	t.ctx = ctx
	t.timings = t.timings[:0]
	pp, err := t.preparePosterize(img, &opts)
	t.ctx = nil
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	_, imageW, imageH := source(img)
	res := &Result{Width: pp.w, Height: pp.h, ImageWidth: imageW, ImageHeight: imageH}
	res.Timings = append([]StageTiming(nil), t.timings...)
	lo := opts
	lo.Steps, lo.Thresholds, lo.FillStrategy = 0, nil, ""
	var bms []*Bitmap
	var colors []string
	for k := len(pp.bitmaps) - 1; k >= 0; k-- { // lightest first
		if pp.colors[k] == "" {
			continue // an empty band: the layer repeats the darker one
		}
		bms, colors = append(bms, pp.bitmaps[k]), append(colors, pp.colors[k])
	}
	layers, err := t.traceLayers(ctx, bms, lo)
	if err != nil {
		return nil, err
	}
	for i, lr := range layers {
		res.Timings = append(res.Timings, lr.Timings...)
		res.Layers = append(res.Layers, Layer{Color: colors[i], Paths: lr.Paths})
	}
	opts.Color, _ = parseHexColor(opts.Color)
	if opts.Color == "" {
		opts.Color = ColorAuto
	}
	opts.Thresholds = pp.thresholds
	res.Options = opts
	return res, nil
}

type posterized struct {
	w, h       int
	bitmaps    []*Bitmap // layer k: the visible pixels below thresholds[k]
	colors     []string  // layer k's fill; "" when its band is empty
	thresholds []float64 // applied
}

func (t *Tracer) preparePosterize(img image.Image, opts *Options) (*posterized, error) {
	img, imageW, imageH := source(img)
	r := img.Bounds()
	W, H := r.Dx(), r.Dy()
	w, h := tracedSize(img, imageW, imageH, opts.MaxSide)
	n := opts.Steps
	pp := &posterized{w: w, h: h, colors: make([]string, n)}
	for range n {
		bm, err := NewBitmap(w, h, opts.MaxPixels)
		if err != nil {
			return nil, err
		}
		pp.bitmaps = append(pp.bitmaps, bm)
	}
	bgHex, hasBg := parseHexColor(opts.Background)
	var bg color.NRGBA
	if hasBg {
		bg = hexRGB(bgHex)
	}
	autoColour := opts.Color == ColorAuto
	scaled := w != W || h != H
	total := (2 + n) * w * h // planes (or stats), bands, bitmaps
	if scaled {
		total += W * H
	}
	if autoColour {
		total += w * h
	}
	if err := t.begin(StagePrepare, total); err != nil {
		return nil, err
	}
	if w == 0 || h == 0 {
		pp.thresholds = append([]float64(nil), opts.Thresholds...)
		if pp.thresholds == nil {
			levels, _ := multiOtsu(new([histLevels]uint64), n, nil)
			for _, k := range levels {
				pp.thresholds = append(pp.thresholds, float64(k)/255)
			}
		}
		t.end()
		return pp, nil
	}

	rd := newLumaReader(img, lum8(bg.R, bg.G, bg.B), hasBg)
	var pl *planes
	if scaled {
		var err error
		if pl, err = t.downscale(rd, H, w, h); err != nil {
			return nil, err
		}
	} else {
		pl = t.newPlanes(w, h, !rd.opaque())
		for y := 0; y < h; y++ {
			ys, as := rd.row(y)
			copy(pl.y[y*w:], ys)
			if pl.a != nil {
				copy(pl.a[y*w:], as)
			}
			if err := t.advance(w); err != nil {
				return nil, err
			}
		}
	}

	// Thresholds: given, or multilevel Otsu on the visible pixels.
	cuts := make([]int64, n)
	if opts.Thresholds != nil {
		pp.thresholds = append([]float64(nil), opts.Thresholds...)
		t.done += w * h
	} else {
		var st lumaStats
		for y := 0; y < h; y++ {
			ys, as := pl.row(y)
			st.addLevels(ys, as)
			if err := t.advance(w); err != nil {
				return nil, err
			}
		}
		t.otsuCost = reuse(t.otsuCost, otsuCostLen)
		levels, _ := multiOtsu(&st.hist, n, t.otsuCost)
		for _, k := range levels {
			pp.thresholds = append(pp.thresholds, float64(k)/255)
		}
	}
	for k, th := range pp.thresholds {
		cuts[k] = lumCut(th, lumFull16)
	}

	// Bands: the band of each visible pixel (n for the background, n+1 for
	// invisible), each band's histogram of levels, and the layers' bitmaps
	// in the same pass: a pixel is black in layer k when it is darker than
	// cut k, that is when its band is k or darker. (Thresholding each
	// layer in a pass of its own reads the planes n times.)
	t.band = reuse(t.band, w*h)
	band := t.band
	hists := make([][histLevels]uint64, n)
	var words [MaxSteps]uint64
	for y := 0; y < h; y++ {
		ys, as := pl.row(y)
		for x, v := range ys {
			b := n + 1
			if as == nil || as[x] >= alphaHalf {
				b = 0
				for b < n && int64(v) >= cuts[b] {
					b++
				}
				if b < n {
					hists[b][v/lumLevel]++
				}
			}
			band[y*w+x] = uint8(b)
			for k := range words[:n] {
				words[k] = words[k]<<1 | uint64(b-k-1)>>63 // b ≤ k
			}
			if x%wordBits == wordBits-1 {
				for k, bm := range pp.bitmaps {
					bm.Words[y*bm.Stride+x/wordBits] = words[k]
				}
			}
		}
		for k, bm := range pp.bitmaps {
			flushRow(bm.Words[y*bm.Stride:(y+1)*bm.Stride], w, words[k])
		}
		if err := t.advance((1 + n) * w); err != nil {
			return nil, err
		}
	}

	strategy := opts.FillStrategy
	if strategy == "" {
		strategy = FillDominant
	}
	var tones [][3]uint8
	var err error
	if autoColour {
		tones, err = t.bandColours(img, band, w, h, n, strategy, bg, hasBg)
		if err != nil {
			return nil, err
		}
	} else {
		tones = greyTones(hists, strategy)
	}
	for k := range hists {
		if bandEmpty(&hists[k]) {
			continue
		}
		pp.colors[k] = hexColour(tones[k])
	}
	t.end()
	return pp, nil
}

func bandEmpty(h *[histLevels]uint64) bool {
	for _, c := range h {
		if c != 0 {
			return false
		}
	}
	return true
}

// greyTones returns the grey of each band under strategy, from the bands'
// histograms of levels. Empty bands get black (they are not drawn).
func greyTones(hists [][histLevels]uint64, strategy string) [][3]uint8 {
	tones := make([][3]uint8, len(hists))
	for k := range hists {
		h := &hists[k]
		var n, s uint64
		for v, c := range h {
			n += c
			s += uint64(v) * c
		}
		if n == 0 {
			continue
		}
		var g uint64
		switch strategy {
		case FillDominant:
			for v, c := range h {
				if c > h[g] {
					g = uint64(v)
				}
			}
		case FillMedian:
			g = medianLevel(h, n)
		default: // mean, and spread's ends
			g = div(s, n)
		}
		tones[k] = [3]uint8{uint8(g), uint8(g), uint8(g)}
	}
	if strategy == FillSpread {
		spreadTones(tones, hists)
	}
	return tones
}

// medianLevel is the lower median of a histogram of n > 0 samples: the
// least level with at least ⌈n/2⌉ samples at or below it.
func medianLevel(h *[histLevels]uint64, n uint64) uint64 {
	var acc uint64
	for v, c := range h {
		acc += c
		if 2*acc >= n {
			return uint64(v)
		}
	}
	return histLevels - 1
}

// spreadTones replaces the tones of the non-empty bands, which hold their
// means, by tones evenly spaced per channel from the darkest non-empty
// band's mean to the lightest's: the i-th of m non-empty bands gets
// round((lo·(m−1−i) + hi·i)/(m−1)).
func spreadTones(tones [][3]uint8, hists [][histLevels]uint64) {
	var idx []int
	for k := range hists {
		if !bandEmpty(&hists[k]) {
			idx = append(idx, k)
		}
	}
	m := len(idx)
	if m < 2 {
		return
	}
	lo, hi := tones[idx[0]], tones[idx[m-1]]
	d := uint64(m - 1)
	for i, k := range idx {
		for c := range 3 {
			tones[k][c] = uint8(div(uint64(lo[c])*(d-uint64(i))+uint64(hi[c])*uint64(i), d))
		}
	}
}

// bandColours returns the colour of each band under strategy, per channel,
// from a sample of img at the centre of each pixel of the w×h planes whose
// band (band[i] < n) is a layer's: straight 8-bit colour, composited onto
// the background if there is one, else skipped when less than half opaque
// (as for the single-layer fill, dominant.go). Dominant is the mean of the
// most frequent 4-bit bin, the lowest on a tie; median is per channel. A
// band with no sample is black.
func (t *Tracer) bandColours(img image.Image, band []uint8, w, h, n int, strategy string, bg color.NRGBA, hasBg bool) ([][3]uint8, error) {
	const bins = 1 << (3 * colourBits)
	var counts [][]uint32
	var binSums [][][3]uint64
	var chans [][3][histLevels]uint64 // per band and channel, for median
	if strategy == FillDominant {
		counts, binSums = make([][]uint32, n), make([][][3]uint64, n)
		for k := range n {
			counts[k], binSums[k] = make([]uint32, bins), make([][3]uint64, bins)
		}
	}
	if strategy == FillMedian {
		chans = make([][3][histLevels]uint64, n)
	}
	nums := make([]uint64, n)
	sums := make([][3]uint64, n)
	r := img.Bounds()
	H := r.Dy()
	xs := t.sampleColumns(r, w)
	t.colourRow = reuse(t.colourRow, w)
	row := t.colourRow
	for j := 0; j < h; j++ {
		sy := r.Min.Y + int((int64(2*j+1)*int64(H))/int64(2*h))
		colourRow(img, xs, sy, row)
		for x, sample := range row {
			k := int(band[j*w+x])
			if k >= n {
				continue
			}
			c, ok := fillSample(sample, bg, hasBg)
			if !ok {
				continue
			}
			nums[k]++
			sums[k][0] += uint64(c.R)
			sums[k][1] += uint64(c.G)
			sums[k][2] += uint64(c.B)
			switch strategy {
			case FillDominant:
				const drop = 8 - colourBits
				bin := int(c.R>>drop)<<(2*colourBits) | int(c.G>>drop)<<colourBits | int(c.B>>drop)
				counts[k][bin]++
				s := &binSums[k][bin]
				s[0] += uint64(c.R)
				s[1] += uint64(c.G)
				s[2] += uint64(c.B)
			case FillMedian:
				chans[k][0][c.R]++
				chans[k][1][c.G]++
				chans[k][2][c.B]++
			}
		}
		if err := t.advance(w); err != nil {
			return nil, err
		}
	}
	tones := make([][3]uint8, n)
	var hists [][histLevels]uint64 // spread: which bands have samples
	for k := range n {
		if nums[k] == 0 {
			continue
		}
		switch strategy {
		case FillDominant:
			best := 0
			for i, c := range counts[k] {
				if c > counts[k][best] {
					best = i
				}
			}
			for c := range 3 {
				tones[k][c] = uint8(div(binSums[k][best][c], uint64(counts[k][best])))
			}
		case FillMedian:
			for c := range 3 {
				tones[k][c] = uint8(medianLevel(&chans[k][c], nums[k]))
			}
		default:
			for c := range 3 {
				tones[k][c] = uint8(div(sums[k][c], nums[k]))
			}
		}
	}
	if strategy == FillSpread {
		hists = make([][histLevels]uint64, n)
		for k := range n {
			hists[k][0] = nums[k]
		}
		spreadTones(tones, hists)
	}
	return tones, nil
}

// traceLayers traces the bitmaps of a posterized image's layers, which are
// independent, on up to GOMAXPROCS goroutines: on two cores the four layers
// of a 400-pixel photo take a third less time (BenchmarkPosterize). Under
// js/wasm, with one thread, they are traced one after another. Each
// goroutine but the first has a Tracer of its own, kept in t for the next
// call; OnProgress is called from one goroutine at a time. The results
// are in the order of bms, and the same however they were scheduled.
func (t *Tracer) traceLayers(ctx context.Context, bms []*Bitmap, opts Options) ([]*Result, error) {
	results := make([]*Result, len(bms))
	workers := min(runtime.GOMAXPROCS(0), len(bms))
	if workers <= 1 {
		for i, bm := range bms {
			r, err := t.Trace(ctx, bm, opts)
			if err != nil {
				return nil, err
			}
			results[i] = r
		}
		return results, nil
	}
	for len(t.helpers) < workers-1 {
		t.helpers = append(t.helpers, new(Tracer))
	}
	tracers := append([]*Tracer{t}, t.helpers[:workers-1]...)
	if progress := t.OnProgress; progress != nil {
		var mu sync.Mutex
		serial := func(s Stage, f float64) {
			mu.Lock()
			defer mu.Unlock()
			progress(s, f)
		}
		for _, tr := range tracers {
			tr.OnProgress = serial
		}
		defer func() {
			t.OnProgress = progress
			for _, h := range t.helpers {
				h.OnProgress = nil
			}
		}()
	}
	var (
		next     atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	for _, tr := range tracers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bms) {
					return
				}
				r, err := tr.Trace(ctx, bms[i], opts)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				results[i] = r
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return results, nil
}
