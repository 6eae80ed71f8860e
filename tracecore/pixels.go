package tracecore

import (
	"fmt"
	"image"
)

// Raw pixels as a browser hands them over: the WebAssembly module gets
// ImageData from createImageBitmap and a canvas, and has no decoders. These
// wrap the bytes, without copying, as the image types Prepare reads from
// their pixel buffers.

// FromRGBA wraps pix, width×height pixels of 4 bytes each (red, green, blue,
// alpha, not premultiplied: a canvas's ImageData) in rows of 4·width bytes,
// as an *image.NRGBA. The image aliases pix, which is not copied: the
// caller must not change pix while the image is in use.
//
// The size is checked with CheckSize against maxPixels (DefaultMaxPixels
// when ≤ 0) first: the error wraps ErrTooLarge, or ErrInvalidInput for a
// negative size. A pix whose length is not 4·width·height gives an error
// wrapping ErrInvalidInput.
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
	if err := CheckSize(width, height, maxPixels); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	// CheckSize has bounded width·height by maxPixels, an int64; dividing
	// the length keeps the comparison free of overflow whatever maxPixels is.
	if len(pix)%bpp != 0 || int64(len(pix)/bpp) != int64(width)*int64(height) {
		return 0, fmt.Errorf("%s: %w: %d bytes for %d×%d pixels of %d bytes", what, ErrInvalidInput, len(pix), width, height, bpp)
	}
	return len(pix), nil
}
