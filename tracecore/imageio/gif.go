package imageio

import (
	"image"
	"image/color"
	"image/gif"
	"io"
)

// decodeGIF returns the first frame of a GIF on its w×h logical screen. A
// frame covering the screen is returned as image/gif decodes it; a smaller
// one is placed on a transparent screen, as browsers show it: a Paletted
// with the frame's palette, its transparent entry (one is added when there
// is none and the palette has room) filling the rest, or an NRGBA when all
// 256 entries are opaque colours.
func decodeGIF(r io.Reader, w, h int) (image.Image, error) {
	img, err := gif.Decode(r)
	if err != nil {
		return nil, err
	}
	m := img.(*image.Paletted)
	screen := image.Rect(0, 0, w, h)
	if m.Rect == screen {
		return m, nil
	}
	f := m.Rect.Intersect(screen) // image/gif has checked that the frame is inside
	transparent := -1
	for i, c := range m.Palette {
		if _, _, _, a := c.RGBA(); a == 0 {
			transparent = i
			break
		}
	}
	pal := m.Palette
	if transparent < 0 && len(pal) < 256 {
		pal = append(pal[:len(pal):len(pal)], color.NRGBA{})
		transparent = len(pal) - 1
	}
	if transparent >= 0 {
		d := image.NewPaletted(screen, pal)
		if transparent != 0 {
			for i := range d.Pix {
				d.Pix[i] = uint8(transparent)
			}
		}
		for y := f.Min.Y; y < f.Max.Y; y++ {
			copy(d.Pix[d.PixOffset(f.Min.X, y):d.PixOffset(f.Max.X, y)], m.Pix[m.PixOffset(f.Min.X, y):])
		}
		return d, nil
	}
	var lut [256]color.NRGBA
	for i, c := range m.Palette {
		lut[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	d := image.NewNRGBA(screen)
	for y := f.Min.Y; y < f.Max.Y; y++ {
		src := m.Pix[m.PixOffset(f.Min.X, y):m.PixOffset(f.Max.X, y)]
		dst := d.Pix[d.PixOffset(f.Min.X, y):]
		for i, v := range src {
			c := lut[v]
			q := dst[4*i : 4*i+4 : 4*i+4]
			q[0], q[1], q[2], q[3] = c.R, c.G, c.B, c.A
		}
	}
	return d, nil
}
