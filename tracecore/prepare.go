package tracecore

import (
	"context"
	"fmt"
	"image"
	"image/color"
)

// Preparation: from a decoded, upright image to the bitmap a trace needs —
// luminance and alpha planes read from the pixel buffers, area-averaged
// down to Options.MaxSide, composited onto Options.Background or read by
// the transparency rule, thresholded at a fixed or automatic level. The
// rules are documented in docs/pixels.md; this is StagePrepare.

// A Mode says which rule made a Prepared bitmap's black pixels
// (docs/pixels.md, "Transparency").
type Mode string

const (
	// ModeLuminance: the image is opaque, or composited onto
	// Options.Background; black is darker than the threshold.
	ModeLuminance Mode = "luminance"
	// ModeSilhouette: the image has transparent pixels and its visible
	// pixels are of one tone, or of tones none of which is near-white;
	// black is every visible pixel.
	ModeSilhouette Mode = "silhouette"
	// ModeInk: the image has transparent pixels and its visible pixels are
	// of two tones, one of them near-white; black is the visible pixels
	// darker than the threshold, as if the image were printed on white
	// paper.
	ModeInk Mode = "ink"
)

// minToneShare and paperLevel decide between ModeSilhouette and ModeInk.
//
// The visible pixels are of two tones when each side of the threshold holds
// at least 1/minToneShare of them. A one-colour logo has a single tone
// however it is anti-aliased (the edge is in its alpha, and averaging keeps
// the straight colour), and stray fringe colours stay well below 1/32; the
// white details of a black icon, or the text of a screenshot with
// transparent rounded corners, are usually above it.
//
// The light tone is paper, and the image is traced as if printed on it,
// only when its mean grey level is at least paperLevel (230/255, 90 %):
// white and near-white (#eee is 238) are; yellow (#ffeb3b is 221), light
// grey (#ccc, 204) and green (149) are colours of the logo, which is then
// traced whole. TestPrepare/TwoTones pins both constants.
const (
	minToneShare = 32
	paperLevel   = 230
)

// A Prepared image is the bitmap to trace and what the Result needs to know
// about the image it came from.
type Prepared struct {
	// Bitmap is the thresholded image at the traced size (Options.MaxSide).
	// It is not inverted: Trace applies Options.Invert, as to any bitmap.
	Bitmap *Bitmap
	// ImageWidth and ImageHeight are the image's own size.
	ImageWidth, ImageHeight int
	// Threshold is the threshold applied: Options.Threshold, or for
	// ThresholdAuto the level Otsu's method chose, k/255.
	Threshold Threshold
	// Color is the fill, lowercase #rgb or #rrggbb: Options.Color, or for
	// ColorAuto the dominant colour of the pixels that are traced.
	Color string
	// Mode is the rule that chose the black pixels.
	Mode Mode
	// Timings holds the prepare stage's duration.
	Timings []StageTiming
}

// Prepare prepares img with a new Tracer. See Tracer.Prepare.
func Prepare(ctx context.Context, img image.Image, opts Options) (*Prepared, error) {
	var t Tracer
	return t.Prepare(ctx, img, opts)
}

// TraceImage prepares and traces img with a new Tracer. See Tracer.TraceImage.
func TraceImage(ctx context.Context, img image.Image, opts Options) (*Result, error) {
	var t Tracer
	return t.TraceImage(ctx, img, opts)
}

// TraceImage turns img, decoded and upright, into a trace: Prepare, then
// TracePrepared. The Result's SVG has the image's size as its width and
// height and the traced bitmap's as its viewBox.
//
// With opts.Steps ≥ 2 it posterizes instead: the image is prepared once
// (size check, downscaling, background or alpha) and traced as Steps
// stacked layers, Result.Layers, lightest first (docs/pixels.md,
// "Posterize"). Each layer is traced with t's Trace, which reports its
// stages to OnProgress in turn.
func (t *Tracer) TraceImage(ctx context.Context, img image.Image, opts Options) (*Result, error) {
	if opts.Steps >= 2 {
		if err := opts.Validate(); err != nil {
			return nil, err
		}
		if img == nil {
			return nil, fmt.Errorf("%w: nil image", ErrInvalidInput)
		}
		return t.posterize(ctx, img, opts)
	}
	p, err := t.Prepare(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	return t.TracePrepared(ctx, p, opts)
}

// TracePrepared traces p.Bitmap with opts and completes the Result from p:
// ImageWidth and ImageHeight, and Options.Threshold and Options.Color
// resolved to what p applied.
func (t *Tracer) TracePrepared(ctx context.Context, p *Prepared, opts Options) (*Result, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil Prepared", ErrInvalidInput)
	}
	res, err := t.Trace(ctx, p.Bitmap, opts)
	if err != nil {
		return nil, err
	}
	res.ImageWidth, res.ImageHeight = p.ImageWidth, p.ImageHeight
	res.Timings = append(append([]StageTiming(nil), p.Timings...), res.Timings...)
	res.Options.Threshold, res.Options.Color = p.Threshold, p.Color
	return res, nil
}

// Prepare turns img into the bitmap to trace, by the rules of
// docs/pixels.md: luminance (Rec. 601) and alpha are read from the pixel
// buffer of every image type of package image (others through At), the
// image is downscaled by area averaging when its longer side exceeds
// opts.MaxSide, composited onto opts.Background if set or else read by the
// transparency rule, and thresholded at opts.Threshold or, for
// ThresholdAuto, at Otsu's threshold of its visible pixels. For
// opts.Color "auto" it also finds the dominant colour of the traced pixels.
//
// Options are validated first (an error wraps ErrInvalidOptions), then the
// image's size is checked with CheckSize against opts.MaxPixels before
// anything is allocated or a pixel read (ErrTooLarge; ErrInvalidInput for
// bounds with Min past Max). Prepare reports StagePrepare to OnProgress
// and checks ctx every few thousand pixels; a cancelled ctx returns its
// error. Memory beyond the bitmap is a few rows of the image, or the planes
// of the downscaled image, or those of an image of at most maxCachedPixels
// read twice at full size; never a copy of a larger image.
func (t *Tracer) Prepare(ctx context.Context, img image.Image, opts Options) (*Prepared, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrInvalidInput)
	}
	r := img.Bounds()
	if err := CheckSize(r.Dx(), r.Dy(), opts.MaxPixels); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	t.ctx = ctx
	t.timings = t.timings[:0]
	defer func() { t.ctx = nil }()
	p, err := t.prepare(img, &opts)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	p.Timings = append([]StageTiming(nil), t.timings...)
	return p, nil
}

func (t *Tracer) prepare(img image.Image, opts *Options) (*Prepared, error) {
	img, imageW, imageH := source(img)
	r := img.Bounds()
	W, H := r.Dx(), r.Dy()
	w, h := tracedSize(img, imageW, imageH, opts.MaxSide)
	bm, err := NewBitmap(w, h, opts.MaxPixels)
	if err != nil {
		return nil, err
	}
	auto := opts.Threshold == ThresholdAuto
	p := &Prepared{Bitmap: bm, ImageWidth: imageW, ImageHeight: imageH, Threshold: opts.Threshold, Mode: ModeLuminance}
	p.Color, _ = parseHexColor(opts.Color)
	autoColour := opts.Color == ColorAuto
	if auto {
		p.Threshold = Threshold(float64(autoFallbackLevel) / 255)
	}
	if w == 0 || h == 0 {
		if autoColour {
			p.Color = "#000000"
		}
		return p, nil
	}

	bgHex, hasBg := parseHexColor(opts.Background)
	var bg color.NRGBA
	if hasBg {
		bg = hexRGB(bgHex)
	}
	rd := newLumaReader(img, lum8(bg.R, bg.G, bg.B), hasBg)
	scaled := w != W || h != H
	stats := auto || !rd.opaque()
	total := w * h // the threshold pass
	if scaled {
		total += W * H
	}
	if stats {
		total += w * h
	}
	if autoColour {
		total += w * h
	}
	if err := t.begin(StagePrepare, total); err != nil {
		return nil, err
	}

	var src rowSource = rd
	var kept *planes // the rows as the statistics pass reads them, for the threshold pass
	switch {
	case scaled:
		pl, err := t.downscale(rd, H, w, h)
		if err != nil {
			return nil, err
		}
		src = pl
	case stats && w*h <= maxCachedPixels:
		// Two passes read the rows (statistics, then thresholding): keeping
		// what the first converts spares the second converting again.
		kept = t.newPlanes(w, h, !rd.opaque())
	}
	cut := lumCut(float64(p.Threshold), lumFull16)
	if stats {
		var st lumaStats
		for y := 0; y < h; y++ {
			ys, as := src.row(y)
			if kept != nil {
				ky, ka := kept.row(y)
				copy(ky, ys)
				copy(ka, as) // both nil when opaque
			}
			if auto {
				st.addLevels(ys, as) // the cut is Otsu's, found from the levels
			} else {
				st.add(ys, as, uint32(cut))
			}
			if err := t.advance(w); err != nil {
				return nil, err
			}
		}
		if kept != nil {
			src = kept
		}
		if auto {
			k, ok := otsu(&st.hist)
			if !ok {
				k = autoFallbackLevel
			}
			p.Threshold = Threshold(float64(k) / 255)
			// Bin k starts at k·lumLevel, which is this cut (see histLevels).
			cut = lumCut(float64(p.Threshold), lumFull16)
			st.splitAt(k)
		}
		p.Mode = st.mode()
	}
	if p.Mode == ModeSilhouette {
		cut = lumFull16 + 1
	}
	if err := t.thresholdRows(bm, src, cut); err != nil {
		return nil, err
	}
	if autoColour {
		if p.Color, err = t.dominantColour(img, bm, opts.Invert, bg, hasBg); err != nil {
			return nil, err
		}
	}
	t.end()
	return p, nil
}

// maxCachedPixels bounds the images whose luminance Prepare keeps in planes
// between its two passes at full size: a megapixel's planes are 6 MB (4
// bytes of luminance and 2 of alpha a pixel), a few times the image's own
// memory, while larger images, traced at full size on purpose, are
// converted twice rather than copied.
const maxCachedPixels = 1 << 20

// mode applies the transparency rule to the statistics of a pass over the
// image (without a background): opaque images are thresholded; an image
// with transparent pixels is thresholded within its visible pixels if they
// are of two tones, the lighter near-white, and is otherwise the silhouette
// of its visible pixels.
func (s *lumaStats) mode() Mode {
	light := s.visible - s.dark
	switch {
	case s.visible == s.pixels:
		return ModeLuminance
	case s.visible > 0 && min(s.dark, light)*minToneShare >= s.visible &&
		s.levelSum()-s.darkSum >= paperLevel*light:
		return ModeInk
	}
	return ModeSilhouette
}

// hexRGB decodes a colour parseHexColor accepted.
func hexRGB(s string) color.NRGBA {
	nib := func(c byte) uint8 {
		if c <= '9' {
			return c - '0'
		}
		return c - 'a' + 10
	}
	if len(s) == 4 {
		return color.NRGBA{nib(s[1]) * 17, nib(s[2]) * 17, nib(s[3]) * 17, 0xff}
	}
	return color.NRGBA{nib(s[1])<<4 | nib(s[2]), nib(s[3])<<4 | nib(s[4]), nib(s[5])<<4 | nib(s[6]), 0xff}
}
