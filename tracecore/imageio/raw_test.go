package imageio_test

import (
	"errors"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

func TestFromRGBA(t *testing.T) {
	pix := []byte{
		255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	}
	m, err := imageio.FromRGBA(pix, 3, 2, 0)
	require.NoError(t, err)
	assert.Equal(t, &image.NRGBA{Pix: pix, Stride: 12, Rect: image.Rect(0, 0, 3, 2)}, m)
	// The image aliases pix: nothing is copied.
	pix[0] = 7
	assert.Equal(t, uint8(7), m.NRGBAAt(0, 0).R)

	for _, c := range []struct {
		name          string
		pix           []byte
		width, height int
		maxPixels     int64
		kind          error
		msg           string
	}{
		{"Short", make([]byte, 23), 3, 2, 0, tracecore.ErrInvalidInput,
			"imageio: rgba: tracecore: invalid input: 23 bytes for 3×2 pixels, want 3×2×4"},
		{"Long", make([]byte, 28), 3, 2, 0, tracecore.ErrInvalidInput,
			"imageio: rgba: tracecore: invalid input: 28 bytes for 3×2 pixels, want 3×2×4"},
		{"Negative", nil, -1, 2, 0, tracecore.ErrInvalidInput,
			"imageio: rgba: tracecore: invalid input: negative size -1×2"},
		{"TooLarge", make([]byte, 24), 3, 2, 5, tracecore.ErrTooLarge,
			"imageio: rgba: tracecore: image too large: 3×2 pixels is over the limit of 5"},
		// The product cannot overflow: CheckSize bounds it first.
		{"Huge", nil, 1 << 40, 1 << 40, 1 << 62, tracecore.ErrTooLarge,
			"imageio: rgba: tracecore: image too large: 1099511627776×1099511627776 pixels is over the limit of 4611686018427387904"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := imageio.FromRGBA(c.pix, c.width, c.height, c.maxPixels)
			assert.Nil(t, m)
			require.Error(t, err)
			assert.Truef(t, errors.Is(err, c.kind), "%v does not wrap %v", err, c.kind)
			assert.Equal(t, c.msg, err.Error())
		})
	}

	t.Run("Empty", func(t *testing.T) {
		m, err := imageio.FromRGBA(nil, 0, 5, 0)
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, 0, 5), m.Bounds())
	})
}

func TestFromGray(t *testing.T) {
	pix := []byte{0, 64, 128, 192, 255, 1}
	m, err := imageio.FromGray(pix, 2, 3, 0)
	require.NoError(t, err)
	assert.Equal(t, &image.Gray{Pix: pix, Stride: 2, Rect: image.Rect(0, 0, 2, 3)}, m)

	_, err = imageio.FromGray(pix, 3, 3, 0)
	require.ErrorIs(t, err, tracecore.ErrInvalidInput)
	assert.Equal(t, "imageio: gray: tracecore: invalid input: 6 bytes for 3×3 pixels, want 3×3×1", err.Error())

	_, err = imageio.FromGray(pix, 2, 3, 5)
	require.ErrorIs(t, err, tracecore.ErrTooLarge)
}
