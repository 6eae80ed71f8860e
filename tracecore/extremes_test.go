package tracecore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// squareExtremesLoop is the definition squareExtremes implements in closed
// form: test every corner of the square against every other.
func squareExtremesLoop(q ivec) (cw, ccw ivec) {
	corners := [4]ivec{{q.x - 1, q.y - 1}, {q.x + 1, q.y - 1}, {q.x - 1, q.y + 1}, {q.x + 1, q.y + 1}}
	cwFound, ccwFound := false, false
	for _, a := range corners {
		allCCW, allCW := true, true
		for _, b := range corners {
			c := icross(a, b)
			allCCW = allCCW && c >= 0
			allCW = allCW && c <= 0
		}
		if allCCW && !cwFound {
			cw, cwFound = a, true
		}
		if allCW && !ccwFound {
			ccw, ccwFound = a, true
		}
	}
	return cw, ccw
}

// TestSquareExtremes checks the closed form against the definition for every
// square around the origin out to 40 pixels. Where two corners tie (both on
// one ray from the origin) either may be returned: only the direction matters
// to the cone, so the test compares directions.
func TestSquareExtremes(t *testing.T) {
	const r = 40
	for x := -r; x <= r; x++ {
		for y := -r; y <= r; y++ {
			q := ivec{x, y}
			if max(x, -x, y, -y) < 2 {
				continue // the square contains the origin; never narrowed
			}
			cw, ccw := squareExtremes(q)
			wantCW, wantCCW := squareExtremesLoop(q)
			require.Zero(t, icross(cw, wantCW), "cw of %v: %v, want the direction of %v", q, cw, wantCW)
			require.Positive(t, dotI(cw, wantCW), "cw of %v: %v points away from %v", q, cw, wantCW)
			require.Zero(t, icross(ccw, wantCCW), "ccw of %v: %v, want the direction of %v", q, ccw, wantCCW)
			require.Positive(t, dotI(ccw, wantCCW), "ccw of %v: %v points away from %v", q, ccw, wantCCW)
		}
	}
}

func dotI(a, b ivec) int { return a.x*b.x + a.y*b.y }
