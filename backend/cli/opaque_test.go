package cli

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
)

// ringPBM is a 40×40 plain PBM of nested squares: a black one (4–36) with a
// white hole (10–30) holding a black island (15–25) with a small white hole
// of its own (18–22). Opaque output paints both holes white and leaves the
// outside transparent.
var ringPBM = func() string {
	var px [40][40]byte
	for i, sq := range [][2]int{{4, 36}, {10, 30}, {15, 25}, {18, 22}} {
		for y := sq[0]; y < sq[1]; y++ {
			for x := sq[0]; x < sq[1]; x++ {
				px[y][x] = byte('1' - i%2) // black, white, black, white
			}
		}
	}
	var b strings.Builder
	b.WriteString("P1\n40 40\n")
	for _, row := range px {
		for _, p := range row {
			b.WriteByte(max(p, '0'))
		}
		b.WriteByte('\n')
	}
	return b.String()
}()

func abs(v int) int { return max(v, -v) }

// paint classifies a rendered pixel: 0 transparent, 1 white, 2 the fill.
func paint(img image.Image, x, y int) int {
	r, g, b, a := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
	switch {
	case a < 0x8000:
		return 0
	case (r+g+b)/3 > a/2: // premultiplied: lighter than half its alpha
		return 1
	}
	return 2
}

// TestOpaqueRendersLikePotrace renders svgtrace's and potrace's --opaque SVG
// of each bitmap with rsvg-convert and compares them pixel by pixel as
// transparent, white or fill: the two must paint the same regions, up to the
// pixels on outlines where the two traces' curves differ anyway.
func TestOpaqueRendersLikePotrace(t *testing.T) {
	fidelity.RequireTools(t, "potrace", "rsvg-convert")
	ring := filepath.Join(t.TempDir(), "ring.pbm")
	require.NoError(t, os.WriteFile(ring, []byte(ringPBM), 0o644))
	files := []string{ring}
	for _, name := range []string{"fruits_400.pbm", "picos_400.pbm", "opencv-logo_400.pbm"} {
		files = append(files, filepath.Join(pbmDir, name))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			bm := readPBM(t, file)
			code, ours, errOut := run(t, "", "trace", "--opaque", file)
			require.Equal(t, exitOK, code, errOut)
			theirs, err := fidelity.PotraceSVG(file, "--opaque")
			require.NoError(t, err)
			ourImg, err := fidelity.Render([]byte(ours), bm.Width, bm.Height)
			require.NoError(t, err)
			theirImg, err := fidelity.Render(theirs, bm.Width, bm.Height)
			require.NoError(t, err)
			var counts [3]int
			differ := 0
			for y := range bm.Height {
				for x := range bm.Width {
					p := paint(theirImg, x, y)
					counts[p]++
					if paint(ourImg, x, y) != p {
						differ++
					}
				}
			}
			share := 100 * float64(differ) / float64(bm.Width*bm.Height)
			t.Logf("potrace paints %d transparent, %d white, %d filled; svgtrace differs in %d (%.3f %%)", counts[0], counts[1], counts[2], differ, share)
			assert.NotZero(t, counts[1], "the bitmap has enclosed white")
			assert.Less(t, share, 0.1)
			if file == ring {
				assert.Zero(t, differ, "straight edges on whole pixels render alike")
				for _, c := range []struct{ x, y, want int }{{1, 1, 0}, {6, 20, 2}, {12, 20, 1}, {16, 20, 2}, {20, 20, 1}} {
					assert.Equal(t, c.want, paint(ourImg, c.x, c.y), "(%d, %d)", c.x, c.y)
				}
				// --fillcolor paints the same regions in its colour, as
				// potrace's does (and implies --opaque, as there).
				_, coloured, _ := run(t, "", "trace", "--fillcolor", "#ff0000", file)
				assert.Equal(t, strings.Replace(ours, `fill="#ffffff"`, `fill="#ff0000"`, 1), coloured)
				theirsColoured, err := fidelity.PotraceSVG(file, "--fillcolor", "#ff0000")
				require.NoError(t, err)
				for _, svg := range [][]byte{[]byte(coloured), theirsColoured} {
					img, err := fidelity.Render(svg, bm.Width, bm.Height)
					require.NoError(t, err)
					r, g, b, a := img.At(img.Bounds().Min.X+12, img.Bounds().Min.Y+20).RGBA()
					assert.Equal(t, [4]uint32{0xffff, 0, 0, 0xffff}, [4]uint32{r, g, b, a}, "the hole is red")
				}
				// Without --opaque the hole shows through.
				_, plain, _ := run(t, "", "trace", file)
				img, err := fidelity.Render([]byte(plain), bm.Width, bm.Height)
				require.NoError(t, err)
				assert.Equal(t, 0, paint(img, 12, 20))
			}
		})
	}
}

func readPBM(t *testing.T, path string) *tracecore.Bitmap {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	bm, err := tracecore.ReadPBM(f, 0)
	require.NoError(t, err)
	return bm
}
