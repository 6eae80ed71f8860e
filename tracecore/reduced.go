package tracecore

import "image"

// A Reduced image is a smaller copy of an image standing in for it, such as
// a JPEG decoded at 1/8 of its size (imageio.DecodeReduced): tracing it
// gives the trace of the full image. Its pixels are read in place of the
// full image's, and Width and Height, the full image's size, give the
// result's ImageWidth and ImageHeight (the SVG's width and height) and the
// traced size under Options.MaxSide, as if the full image had been
// downscaled. The copy should be at least the traced size; where it is
// smaller it is traced at its own size, never enlarged.
type Reduced struct {
	image.Image       // the smaller copy
	Width, Height int // the full image's size
}

// source returns the pixels to read for img and the size of the image they
// stand for: a Reduced image's copy and full size, or img and its own size.
func source(img image.Image) (image.Image, int, int) {
	if r, ok := img.(*Reduced); ok && r.Image != nil && r.Width > 0 && r.Height > 0 {
		return r.Image, r.Width, r.Height
	}
	b := img.Bounds()
	return img, b.Dx(), b.Dy()
}

// tracedSize is the size at which img's pixels are traced under maxSide:
// the image's targetSize, no larger than the pixels at hand.
func tracedSize(pixels image.Image, imageW, imageH, maxSide int) (int, int) {
	w, h := targetSize(imageW, imageH, maxSide)
	b := pixels.Bounds()
	return min(w, b.Dx()), min(h, b.Dy())
}
