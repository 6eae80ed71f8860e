package imageio

import (
	"fmt"
	"image"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Raw pixel buffers, as a browser hands them over (ImageData after
// createImageBitmap and a canvas): no decoder is involved, and this file
// imports none, so it can move to package tracecore for the WebAssembly
// module unchanged.

// FromRGBA wraps pix, width×height pixels of 4 bytes each (red, green, blue,
// alpha, not premultiplied: a canvas's ImageData) in rows of 4·width bytes,
// as an *image.NRGBA. The image aliases pix, which is not copied: the
// caller must not change pix while the image is in use.
//
// The size is checked with tracecore.CheckSize against maxPixels
// (tracecore.DefaultMaxPixels when ≤ 0) first: the error wraps
// tracecore.ErrTooLarge, or tracecore.ErrInvalidInput for a negative size.
// A pix whose length is not 4·width·height gives an error wrapping
// tracecore.ErrInvalidInput.
func FromRGBA(pix []byte, width, height int, maxPixels int64) (*image.NRGBA, error) {
	n, err := rawSize("rgba", pix, width, height, 4, maxPixels)
	if err != nil {
		return nil, err
	}
	return &image.NRGBA{Pix: pix[:n:n], Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, nil
}

// FromGray wraps pix, width×height grey levels of one byte each in rows of
// width bytes, as an *image.Gray that aliases pix. Its checks and errors are
// FromRGBA's, with one byte a pixel.
func FromGray(pix []byte, width, height int, maxPixels int64) (*image.Gray, error) {
	n, err := rawSize("gray", pix, width, height, 1, maxPixels)
	if err != nil {
		return nil, err
	}
	return &image.Gray{Pix: pix[:n:n], Stride: width, Rect: image.Rect(0, 0, width, height)}, nil
}

// rawSize checks the size and returns the length pix must have.
func rawSize(what string, pix []byte, width, height, bpp int, maxPixels int64) (int, error) {
	if err := tracecore.CheckSize(width, height, maxPixels); err != nil {
		return 0, fmt.Errorf("imageio: %s: %w", what, err)
	}
	// CheckSize has bounded width·height by maxPixels, an int64; the
	// division keeps the comparison free of overflow whatever maxPixels is.
	pixels := int64(width) * int64(height)
	if len(pix)%bpp != 0 || int64(len(pix)/bpp) != pixels {
		return 0, fmt.Errorf("imageio: %s: %w: %d bytes for %d×%d pixels, want %d×%d×%d",
			what, tracecore.ErrInvalidInput, len(pix), width, height, width, height, bpp)
	}
	return len(pix), nil
}
