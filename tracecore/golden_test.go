package tracecore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Goldens pin tracecore's exact output. The same test runs natively and as
// js/wasm under Node (make test runs both, and natively once more with
// GOAMD64=v3, where the compiler may fuse multiply-adds), against the same
// files: so passing everywhere shows the SVG is byte-identical on every
// platform. Readable SVGs are kept for the 400 px bitmaps at the defaults;
// every case, full-size ones included, is pinned by its SHA-256 in
// testdata/golden/SHA256SUMS.
//
// Refresh after an intended change with: go test ./tracecore -run Golden -update

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenDir = "testdata/golden"

// goldenCase is one bitmap traced with one set of options.
type goldenCase struct {
	name string // NAME/VARIANT
	file string
	opts tracecore.Options
}

func goldenCases(t *testing.T) []goldenCase {
	files, err := filepath.Glob("testdata/pbm/*.pbm")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	variants := []struct {
		name string
		set  func(*tracecore.Options)
	}{
		{"default", func(*tracecore.Options) {}},
		{"turd100", func(o *tracecore.Options) { o.TurdSize = 100 }},
		{"polygon", func(o *tracecore.Options) { o.AlphaMax, o.OptiCurve = 0, false }},
		{"curves", func(o *tracecore.Options) { o.OptiCurve = false }},
		{"precision3", func(o *tracecore.Options) { o.Precision = 3 }},
	}
	for _, p := range tracecore.TurnPolicies {
		variants = append(variants, struct {
			name string
			set  func(*tracecore.Options)
		}{"turn-" + string(p), func(o *tracecore.Options) { o.TurnPolicy = p }})
	}
	var cases []goldenCase
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".pbm")
		small := strings.HasSuffix(base, "_400")
		for _, v := range variants {
			// Full-size bitmaps: the defaults and turd size 100 only, to keep
			// the wasm run short.
			if !small && v.name != "default" && v.name != "turd100" {
				continue
			}
			o := tracecore.DefaultOptions()
			v.set(&o)
			cases = append(cases, goldenCase{name: base + "/" + v.name, file: f, opts: o})
		}
	}
	return cases
}

func TestGolden(t *testing.T) {
	sumsPath := filepath.Join(goldenDir, "SHA256SUMS")
	want := readSums(t, sumsPath)
	var got []string
	var tracer tracecore.Tracer
	bitmaps := map[string]*tracecore.Bitmap{}
	for _, c := range goldenCases(t) {
		bm, ok := bitmaps[c.file]
		if !ok {
			bm = readPBMFile(t, c.file)
			bitmaps[c.file] = bm
		}
		res, err := tracer.Trace(context.Background(), bm, c.opts)
		require.NoError(t, err, c.name)
		svg := res.SVG()
		sum := sha256.Sum256(svg)
		hexSum := hex.EncodeToString(sum[:])
		got = append(got, hexSum+"  "+c.name, geometrySum(res)+"  "+c.name+".geometry")
		readable := filepath.Join(goldenDir, strings.ReplaceAll(c.name, "/", "."))
		keepReadable := strings.HasSuffix(c.name, "_400/default")
		if *update {
			if keepReadable {
				require.NoError(t, os.WriteFile(readable+".svg", svg, 0o644))
			}
			continue
		}
		if keepReadable {
			wantSVG, err := os.ReadFile(readable + ".svg")
			require.NoError(t, err)
			if !bytes.Equal(svg, wantSVG) {
				t.Errorf("%s (%s/%s): SVG differs from %s.svg at byte %d", c.name, runtime.GOOS, runtime.GOARCH, readable, firstDiff(svg, wantSVG))
			}
		}
		wantSum, ok := want[c.name]
		if !ok {
			t.Errorf("%s: no golden; run with -update", c.name)
			continue
		}
		if wantSum != hexSum {
			t.Errorf("%s (%s/%s): SVG SHA-256 %s, golden %s", c.name, runtime.GOOS, runtime.GOARCH, hexSum, wantSum)
		}
		if g := geometrySum(res); want[c.name+".geometry"] != g {
			t.Errorf("%s (%s/%s): geometry SHA-256 %s, golden %s", c.name, runtime.GOOS, runtime.GOARCH, g, want[c.name+".geometry"])
		}
	}
	finishSums(t, sumsPath, got, want)
}

// geometrySum hashes the exact float64 bits of every point of the trace: far
// more sensitive to a platform's arithmetic than the SVG, whose coordinates
// are rounded to a grid.
func geometrySum(res *tracecore.Result) string {
	h := sha256.New()
	var buf [8]byte
	put := func(v float64) {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
	for _, p := range res.Paths {
		put(p.Start.X)
		put(p.Start.Y)
		for _, s := range p.Segments {
			h.Write([]byte{byte(s.Kind)})
			for _, q := range [3]tracecore.Point{s.C1, s.C2, s.End} {
				put(q.X)
				put(q.Y)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readSums reads a manifest of "SHA256  NAME" lines into a map; with
// -update it returns an empty map and makes the manifest's folder.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	want := map[string]string{}
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		return want
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./tracecore -run Golden -update to create the goldens")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		require.True(t, ok, "malformed line %q in %s", line, path)
		want[name] = sum
	}
	return want
}

// finishSums writes the manifest with -update; otherwise it checks that the
// manifest lists no case that no longer exists.
func finishSums(t *testing.T, path string, got []string, want map[string]string) {
	t.Helper()
	if *update {
		slices.Sort(got)
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644))
		return
	}
	require.Len(t, got, len(want), "%s lists cases that no longer exist; run with -update", path)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// readPBMFile reads a PBM file of the test data.
func readPBMFile(t testing.TB, path string) *tracecore.Bitmap {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	bm, err := tracecore.ReadPBM(bufio.NewReader(f), 0)
	require.NoError(t, err, fmt.Sprintf("read %s", path))
	return bm
}
