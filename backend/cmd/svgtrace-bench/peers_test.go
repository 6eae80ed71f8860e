package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
)

func TestParsePeerOutput(t *testing.T) {
	good := `{"files":[{"name":"a_400","file":"/x/a_400.png","total":[3.5,2.5],"stages":{"load":[1,1],"trace":[2.5,1.5]},"svgBytes":100,"uriBytes":0,"svg":"/x/a_400.svg"},` +
		`{"name":"b","file":"/x/b.png","total":[10,12],"stages":{},"svgBytes":5,"uriBytes":7,"width":4,"height":3,"thresholds":[154,155],"pgm":"/x/b.lum.pgm"}]}`
	out, err := parsePeerOutput([]byte(good), []string{"a_400", "b"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := &peerOutput{Files: []peerFile{
		{Name: "a_400", File: "/x/a_400.png", Total: []float64{3.5, 2.5}, Stages: map[string][]float64{"load": {1, 1}, "trace": {2.5, 1.5}},
			SVGBytes: 100, SVG: "/x/a_400.svg"},
		{Name: "b", File: "/x/b.png", Total: []float64{10, 12}, Stages: map[string][]float64{}, SVGBytes: 5, URIBytes: 7,
			Width: 4, Height: 3, Thresholds: []int{154, 155}, PGM: "/x/b.lum.pgm"},
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("parsePeerOutput =\n%+v\nwant\n%+v", out, want)
	}
	for _, tc := range []struct {
		json  string
		names []string
		runs  int
	}{
		{good, []string{"a_400"}, 2},                                                        // count
		{good, []string{"b", "a_400"}, 2},                                                   // order
		{good, []string{"a_400", "b"}, 3},                                                   // runs
		{`{"files":[{"name":"a","total":[0]}]}`, []string{"a"}, 1},                          // a zero time
		{`{"files":[{"name":"a","total":[-1]}]}`, []string{"a"}, 1},                         // negative
		{`{"files":[{"name":"a","total":[1],"colour":"red"}]}`, []string{"a"}, 1},           // unknown field
		{`{"files":[{"name":"a","total":[1]}]} trailing`, []string{"a"}, 1},                 // fine: one value read
		{`not json`, []string{"a"}, 1},                                                      // syntax
		{`{"files":[{"name":"a","total":["1"]}]}`, []string{"a"}, 1},                        // type
		{`{"files":[{"name":"a","total":[1],"thresholds":[1.5]}]}`, []string{"a"}, 1},       // type
		{`{"files":[{"name":"a","total":[1e300]}]}`, []string{"a"}, 1},                      // absurd
		{`{"files":[{"name":"a","total":[1]},{"name":"a","total":[1]}]}`, []string{"a"}, 1}, // count
	} {
		_, err := parsePeerOutput([]byte(tc.json), tc.names, tc.runs)
		if strings.HasSuffix(tc.json, "trailing") {
			if err != nil {
				t.Errorf("parsePeerOutput(%s): %v", tc.json, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("parsePeerOutput(%s, %q, %d) accepted", tc.json, tc.names, tc.runs)
		}
	}
}

func TestParseITLConstants(t *testing.T) {
	src := `package x

var other = []int{1, 2}

// imageTraceLoader is …
var imageTraceLoader = []struct {
	file     string
	uriBytes int
	mismatch float64
}{
	{"picos.jpg", 2972, 1.588},
	{file: "brushes.jpg", uriBytes: 5281, mismatch: 3.626},
}
`
	got, err := parseITLConstants([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ITLConstant{"picos.jpg": {2972, 1.588}, "brushes.jpg": {5281, 3.626}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseITLConstants = %v, want %v", got, want)
	}
	for _, bad := range []string{
		"package x\nvar y = 1\n",
		"package x\nvar imageTraceLoader = []struct{a string; b int; c float64}{{\"a\", 1}}\n",
		"package x\nvar imageTraceLoader = []struct{a string; b int; c float64}{{\"a\", n, 1.5}}\n",
		"package x\nvar imageTraceLoader = []struct{a string; b int; c float64}{{\"a\", 1.5, 1.5}}\n",
		"not go",
	} {
		if _, err := parseITLConstants([]byte(bad)); err == nil {
			t.Errorf("parseITLConstants(%q) accepted", bad)
		}
	}
	// The test the report compares with reads as such.
	real, err := readITLConstants(filepath.Join("..", "..", "..", "tracecore", "placeholder_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range placeholderTargets {
		if k, ok := real[f]; !ok || k.URIBytes <= 0 || !(k.Mismatch > 0) {
			t.Errorf("placeholder_test.go: %s: %+v, %v", f, k, ok)
		}
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"A=1", runnerEnv + "=1", "B=2", runnerEnv + "X=3"}, []string{"C=4"})
	want := []string{"A=1", "B=2", runnerEnv + "X=3", "C=4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

func TestNpmKey(t *testing.T) {
	dir := t.TempDir()
	for _, name := range npmFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k1, err := npmKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	k2, err := npmKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 16 || k1 == k2 {
		t.Errorf("npmKey: %q then %q", k1, k2)
	}
	if _, err := npmKey(filepath.Join("peers")); err != nil {
		t.Errorf("the committed pins: %v", err)
	}
}

// testBitmapPNG writes a small bitmap with a shape and a hole as a PNG.
func testBitmapPNG(t *testing.T, dir string) (*tracecore.Bitmap, string) {
	t.Helper()
	bm, err := tracecore.NewBitmap(40, 30, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := 5; y < 25; y++ {
		for x := 5; x < 35; x++ {
			inHole := x >= 15 && x < 25 && y >= 10 && y < 20
			bm.Set(x, y, !inHole)
		}
	}
	path := filepath.Join(dir, "shape.png")
	if err := writePNG(path, bitmapImage(bm)); err != nil {
		t.Fatal(err)
	}
	return bm, path
}

func TestWorker(t *testing.T) {
	dir := t.TempDir()
	bm, png := testBitmapPNG(t, dir)
	out := filepath.Join(dir, "out.json")
	var stderr bytes.Buffer
	args := []string{"trace", "-t", "2", "-warmup", "1", "-runs", "3", "-out", out, "-save", dir, png}
	if err := runWorker(context.Background(), args, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	po, err := parsePeerOutput(data, []string{"shape"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	f := po.Files[0]
	if len(f.Stages["load"]) != 3 || len(f.Stages["trace"]) != 3 {
		t.Errorf("stages: %v", f.Stages)
	}
	svg, err := os.ReadFile(f.SVG)
	if err != nil {
		t.Fatal(err)
	}
	// The PNG traces as the bitmap does.
	res, err := tracecore.Trace(context.Background(), bm, tracecore.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := res.SVG(); !bytes.Equal(svg, want) || f.SVGBytes != len(want) {
		t.Errorf("worker's SVG (%d bytes) differs from the bitmap's trace:\n%s\nwant\n%s", f.SVGBytes, svg, want)
	}

	// The placeholder mode makes a data URI.
	photo := filepath.Join("..", "..", "..", "tracecore", "testdata", "images", "fruits.jpg")
	args = []string{"placeholder", "-runs", "1", "-out", out, "-save", dir, photo}
	if err := runWorker(context.Background(), args, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if data, err = os.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	if po, err = parsePeerOutput(data, []string{"fruits"}, 1); err != nil {
		t.Fatal(err)
	}
	uri, err := os.ReadFile(po.Files[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(uri, []byte("data:image/svg+xml,")) || len(uri) != po.Files[0].URIBytes {
		t.Errorf("placeholder data URI: %d bytes, reported %d: %.60s", len(uri), po.Files[0].URIBytes, uri)
	}

	for _, bad := range [][]string{nil, {"nope", png}, {"trace"}, {"trace", "-runs", "0", png}, {"trace", filepath.Join(dir, "missing.png")}} {
		if err := runWorker(context.Background(), bad, io.Discard); err == nil {
			t.Errorf("runWorker(%q) succeeded", bad)
		}
	}
}

// TestPeersScript runs peers.js when Node and the packages installed by a
// previous run of the harness are there; it is skipped otherwise (the
// packages come from the npm registry).
func TestPeersScript(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node")
	}
	key, err := npmKey("peers")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	modules := filepath.Join(cache, "svgtrace-bench", "npm-"+key, "node_modules")
	if _, err := os.Stat(modules); err != nil {
		t.Skip("the npm packages are not installed (make bench installs them)")
	}
	dir := t.TempDir()
	bm, png := testBitmapPNG(t, dir)
	out := filepath.Join(dir, "out.json")
	cmd := exec.Command("node", append([]string{filepath.Join("peers", "peers.js"), "potrace"},
		append(potraceArgs(2), "--warmup", "1", "--runs", "2", "--out", out, "--save", dir, png)...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	po, err := parsePeerOutput(data, []string{"shape"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(po.Files[0].SVG)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(`width="40" height="30"`)) || len(po.Files[0].Stages["trace"]) != 2 {
		t.Errorf("node-potrace's output: %+v\n%s", po.Files[0], svg)
	}
	if _, err := exec.LookPath("rsvg-convert"); err == nil {
		// A rectangle with a square hole traces nearly exactly.
		m, err := fidelity.Mismatch(bm, blackFill(svg))
		if err != nil {
			t.Fatal(err)
		}
		if m > 2 {
			t.Errorf("node-potrace's mismatch on a rectangle: %.3f %%", m)
		}
	}
}

// peerBenchForTest is a PeerBench with made-up figures.
func peerBenchForTest() *PeerBench {
	file := func(name string, svgMs, jsMs, svgTrace, jsTrace float64) PeerTraceFile {
		return PeerTraceFile{Name: name, Width: 400, Height: 300,
			Svg:     peerFile{Name: name, Total: []float64{svgMs, svgMs * 1.1}, Stages: map[string][]float64{"load": {1, 1}, "trace": {svgTrace, svgTrace}}, SVGBytes: 1000},
			JS:      peerFile{Name: name, Total: []float64{jsMs, jsMs}, Stages: map[string][]float64{"load": {30, 30}, "trace": {jsTrace, jsTrace}}, SVGBytes: 3000},
			SvgGzip: 400, JSGzip: 1200, SvgMismatch: 1.5, JSMismatch: math.NaN(),
		}
	}
	tool := func(ms float64, svg, uri int, rss float64, stages ...string) ToolRun {
		st := map[string][]float64{}
		for _, s := range stages {
			st[s] = []float64{ms / 2}
		}
		return ToolRun{Cmd: fmt.Sprintf("cmd %v", ms), Out: peerFile{Total: []float64{ms}, Stages: st, SVGBytes: svg, URIBytes: uri}, Gzip: int64(svg / 2), RSSKB: rss}
	}
	return &PeerBench{
		Versions: map[string]string{"node": "v20.0.0", "potrace": "2.1.8", "jimp": "0.14.0", "image-trace-loader": "1.0.2",
			"node-vibrant": "3.1.6", "svgo": "1.3.2", "itl-potrace": "2.1.8"},
		NPMDir: "/cache/npm-0123", Runs: 11, Warmup: 3, BigRuns: 3, BigWarmup: 1, FloorKB: 6000,
		Trace: []*PeerTraceCase{
			{Label: "2 files at 400 px", Turd: 2, Warmup: 3, Runs: 11, SvgCmd: "svg-cmd-400", JSCmd: "js-cmd-400", SvgRSS: 5000, JSRSS: 100 * 1024,
				Files: []PeerTraceFile{file("a_400", 5, 50, 4, 16), file("b_400", 4, 100, 3, 30)}}, // 9.52×, 23.8×
			{Label: "a.pbm", Full: true, Turd: 2, Warmup: 1, Runs: 3, SvgCmd: "svg-cmd-full", JSCmd: "js-cmd-full", SvgRSS: 50 * 1024, JSRSS: 500 * 1024,
				Files: []PeerTraceFile{file("a", 100, 420, 80, 300)}}, // 4.00×
		},
		EndToEnd: []*EndToEnd{{File: "picos.jpg", Width: 3264, Height: 2448, Warmup: 1, Runs: 3, Tools: [3]ToolRun{
			tool(15, 2600, 2650, 15*1024, "load", "trace"), tool(3000, 800000, 870000, 300*1024, "load", "trace"),
			tool(6000, 100000, 100100, 350*1024, "colour", "trace", "svgo")}}},
		ITL: []ITLResult{
			{File: "brushes.jpg", Width: 400, Height: 315, URIBytes: 5300, SVGBytes: 5250, Thresholds: []int{131}, Threshold: 131, Mismatch: 3.4},
			{File: "picos.jpg", Width: 400, Height: 300, URIBytes: 2800, SVGBytes: 2750, Thresholds: []int{153, 154}, Threshold: 154, Mismatch: 1.2},
		},
		Own: []PlaceholderResult{
			{File: "brushes.jpg", URIBytes: 4900, Mismatch: 3.1},
			{File: "picos.jpg", URIBytes: 2700, Mismatch: 1.3}, // smaller but less faithful
		},
		Constants: map[string]ITLConstant{"picos.jpg": {2972, 1.588}, "brushes.jpg": {5281, 3.626}},
		ITLCmd:    "node peers.js itl-bitmap brushes.png picos.png",
	}
}

func TestPeerTargets(t *testing.T) {
	var got []string
	for _, tg := range peerBenchForTest().Targets() {
		got = append(got, tg.String())
	}
	want := []string{
		"PASS svgtrace ≥ 5× faster than node-potrace, in-process file to SVG at 400 px, geometric mean of 2 node-potrace/svgtrace ratios: 15.06× (target ≥ 5.00×; 10.06× above); " +
			"worst a_400 -t 2 9.52×; the trace stage alone (getSVG against TraceImage and AppendSVG) 6.32×, worst 4.00×",
		"MISS svgtrace ≥ 5× faster than node-potrace, in-process file to SVG at full size, geometric mean of 1 node-potrace/svgtrace ratios: 4.00× (target ≥ 5.00×; 1.00× short); " +
			"worst a -t 2 4.00×; the trace stage alone (getSVG against TraceImage and AppendSVG) 3.75×, worst 3.75×",
		"MISS placeholder data URI of picos.jpg ≤ image-trace-loader's (measured in this run, 400 px): 2700 bytes (target ≤ 2800 bytes; 100 bytes under); mismatch 1.300 % vs 1.200 %",
		"PASS placeholder data URI of brushes.jpg ≤ image-trace-loader's (measured in this run, 400 px): 4900 bytes (target ≤ 5300 bytes; 400 bytes under); mismatch 3.100 % vs 3.400 %",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An unmeasured mismatch misses.
	pb := peerBenchForTest()
	pb.ITL[0].Mismatch = math.NaN()
	if ts := pb.Targets(); ts[3].Pass || !strings.Contains(ts[3].Line, "not measured") {
		t.Errorf("unmeasured mismatch: %v", ts[3])
	}
	if tg := minRatioTarget("x", math.NaN(), 5); tg.Pass || !strings.Contains(tg.Line, "not measured") {
		t.Errorf("minRatioTarget(NaN) = %+v", tg)
	}
}

func TestPeerMarkdown(t *testing.T) {
	r := testReport()
	r.Peers = peerBenchForTest()
	r.Images = &ImageBench{Lines: map[string][]BenchLine{},
		Placeholders: []PlaceholderResult{{File: "picos.jpg", Width: 3264, Height: 2448, TraceWidth: 400, TraceHeight: 300,
			Scale: 1, SVGBytes: 2650, URIBytes: 2700, GzipBytes: 1200, Mismatch: 1.3}},
		ITL: map[string]ITLResult{"picos.jpg": r.Peers.ITL[1]}}
	md := r.Markdown()
	for _, want := range []string{
		"- Peers: Node v20.0.0; node-potrace (npm potrace) 2.1.8 with jimp 0.14.0; image-trace-loader 1.0.2 with node-vibrant 3.1.6, svgo 1.3.2, potrace 2.1.8\n",
		"- PASS svgtrace ≥ 5× faster than node-potrace, in-process file to SVG at 400 px",
		"## Peers: node-potrace and image-trace-loader\n",
		"into `/cache/npm-0123`",
		"```\nsvg-cmd-400\njs-cmd-400\nsvg-cmd-full\njs-cmd-full\n```",
		"| a_400.png | 2 | 5.25 ms (5.00 ms–5.50 ms) | 50.0 ms (50.0 ms–50.0 ms) | 9.52× | 1.00 ms | 30.0 ms | 4.00 ms | 16.0 ms | 4.00× |\n",
		"| a_400.png | 2 | 1,000 | 3,000 | 400 | 1,200 | 1.500 % | n/a |\n",
		"| 2 files at 400 px | 2 | 3 + 11 | ≤ 4.88 MiB | 100 MiB | 20.48× |\n",
		"| picos.jpg | 3264×2448 | 1 + 3 | 15.0 ms (15.0 ms–15.0 ms) | 3000 ms (3000 ms–3000 ms) | 6000 ms (6000 ms–6000 ms) | 200.00× | 400.00× |\n",
		"| picos.jpg | 2,600 / 2,650 / 1,300 | 800,000 / 870,000 / 400,000 | 100,000 / 100,100 / 50,000 |\n",
		"| picos.jpg | 7.50 ms | 7.50 ms | 1500 ms | 1500 ms | 3000 ms | 3000 ms | 3000 ms |\n",
		"| picos.jpg | 15.0 MiB | 300 MiB | 350 MiB |\n",
		"```\nnode peers.js itl-bitmap brushes.png picos.png\n```",
		"| picos.jpg | 400×300 | 2,700 | 1.300 % | 2,800 | 1.200 % | 154 (of 2) | 2,972 | 1.588 % | -172 bytes, -0.388 points |\n",
		"| brushes.jpg | 400×315 | 4,900 | 3.100 % | 5,300 | 3.400 % | 131 | 5,281 | 3.626 % | +19 bytes, -0.226 points |\n",
		// The images section takes image-trace-loader's figures from the peers.
		"| picos.jpg | 3264×2448 | 400×300 | 1/8 scale | 2,650 | 2,700 | 1,200 | 1.300 % | 2,800 | 1.200 % |\n",
		"measured in this run, on the same photos downscaled to 400 pixels",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
	checkTables(t, md)

	r.Peers, r.Images.ITL = nil, nil
	md = r.Markdown()
	if strings.Contains(md, "## Peers") || strings.Contains(md, "- Peers:") || !strings.Contains(md, "were not measured in this run (-skip-peers)") {
		t.Errorf("without peers:\n%s", md)
	}
}
