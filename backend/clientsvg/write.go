package clientsvg

import (
	"math"
	"strconv"

	"github.com/svgtrace/svgtrace/tracecore"
)

const svgNS = "http://www.w3.org/2000/svg"

// Bytes writes d in canonical form, as tracecore's Result.AppendSVG does:
//
//	<svg xmlns="http://www.w3.org/2000/svg" width="W" height="H" viewBox="0 0 VW VH"><path fill="#rrggbb" d="…"/>…</svg>
//
// with fill-opacity after fill when below 1 and fill-rule="evenodd" after
// that when set. A Doc that Parse returned is written exactly; in one changed
// since, a fill that is not a hex colour is written #000000, as tracecore
// does, an opacity is clamped to [0, 1], and path data stops at the first
// unknown command, so the output is still in the canonical form's
// allowlist.
func (d *Doc) Bytes() []byte {
	n := 128
	for _, p := range d.Paths {
		n += 64 + 4*len(p.Data.Args)
	}
	dst := make([]byte, 0, n)
	dst = append(dst, `<svg xmlns="`+svgNS+`" width="`...)
	dst = strconv.AppendInt(dst, int64(d.Width), 10)
	dst = append(dst, `" height="`...)
	dst = strconv.AppendInt(dst, int64(d.Height), 10)
	dst = append(dst, `" viewBox="0 0 `...)
	dst = strconv.AppendInt(dst, int64(d.ViewWidth), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(d.ViewHeight), 10)
	dst = append(dst, `">`...)
	for i := range d.Paths {
		p := &d.Paths[i]
		fill, ok := parseColor(p.Fill)
		if !ok {
			fill = "#000000"
		}
		dst = append(dst, `<path fill="`...)
		dst = append(dst, fill...)
		dst = append(dst, '"')
		if o := opacityUnits(p.FillOpacity); o < Scale {
			dst = append(dst, ` fill-opacity="`...)
			w := tracecore.NewPathData(dst, maxFraction) // one number, as tracecore writes it
			w.Num(o)
			dst = append(w.Buf, '"')
		}
		if p.FillRule == "evenodd" {
			dst = append(dst, ` fill-rule="evenodd"`...)
		}
		dst = append(dst, ` d="`...)
		dst = appendPathData(dst, p.Data)
		dst = append(dst, `"/>`...)
	}
	return append(dst, `</svg>`...)
}

// opacityUnits returns o in 1/Scale, clamped to [0, Scale]; NaN is opaque.
func opacityUnits(o float64) int64 {
	switch {
	case math.IsNaN(o) || o >= 1:
		return Scale
	case o <= 0:
		return 0
	}
	return int64(math.Round(o * Scale))
}
