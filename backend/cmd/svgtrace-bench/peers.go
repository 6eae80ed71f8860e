package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// The peers: node-potrace (npm potrace, potrace's algorithm in JavaScript)
// and image-trace-loader (npm, the webpack loader that made "traced SVG"
// placeholders common: node-vibrant, node-potrace, SVGO). Both are GPL or
// depend on GPL code, so the harness only runs them, through their
// documented APIs, from peers/peers.js; none of their code is in this
// repository. Each measurement is one process, svgtrace's (worker.go) as
// each peer's, started by the runner so that its peak memory is its own.

// peersDir is the Node side, relative to the module root: peers.js and the
// pinned packages (package.json, package-lock.json, .npmrc).
const peersDir = "backend/cmd/svgtrace-bench/peers"

// npmFiles pin the npm install; their hash names its directory.
var npmFiles = []string{"package.json", "package-lock.json", ".npmrc"}

// Run counts of the peer processes for large inputs: node-potrace takes
// seconds on an 8-megapixel image and image-trace-loader about twice that,
// so inputs over bigPixels get at most bigRuns measured runs after at most
// bigWarmup unmeasured ones (svgtrace's process gets the same).
const (
	bigPixels = 2_000_000
	bigRuns   = 3
	bigWarmup = 1
)

// Targets of the peer comparisons (issue 4).
const (
	// targetPeerSpeedup is node-potrace's in-process time over svgtrace's
	// for the same file to SVG: svgtrace at least 5 times faster.
	targetPeerSpeedup = 5.0
	// potraceThreshold is node-potrace's threshold (0–255) on the 1-bit
	// PNGs of the test bitmaps: any value between black and white gives
	// back the bitmap.
	potraceThreshold = 128
	// itlMaxSide is the size of the photos image-trace-loader's bytes and
	// mismatch are measured at: the placeholder preset's MaxSide.
	itlMaxSide = 400
	// itlTurd is image-trace-loader's turd size, node-potrace's for the end
	// to end comparison.
	itlTurd = 100
)

// placeholderTargets are the photos whose placeholder data URI must be no
// larger than image-trace-loader's, at a mismatch no worse.
var placeholderTargets = []string{"picos.jpg", "brushes.jpg"}

// PeerBench is the peers section.
type PeerBench struct {
	Versions map[string]string // from peers.js versions
	NPMDir   string            // where the packages are installed
	// Runs and Warmup are each peer process's measured and unmeasured runs
	// of each input; inputs over bigPixels get BigRuns and BigWarmup.
	Runs, Warmup       int
	BigRuns, BigWarmup int
	FloorKB            float64 // the runner's peak RSS, a floor under every figure

	Trace    []*PeerTraceCase
	EndToEnd []*EndToEnd
	ITL      []ITLResult         // image-trace-loader at 400 px, live
	Own      []PlaceholderResult // svgtrace's placeholders of the same photos
	// Constants are TestPlaceholderAgainstImageTraceLoader's figures
	// (tracecore/placeholder_test.go); ConstErr says why they are missing.
	Constants map[string]ITLConstant
	ConstErr  string
	ITLCmd    string
}

// A PeerTraceCase is svgtrace against node-potrace on the same PNGs of test
// bitmaps at one turd size, each in its own process.
type PeerTraceCase struct {
	Label         string // "5 files at 400 px", "picos.pbm"
	Full          bool   // full-size bitmaps, not the 400 px ones
	Turd          int
	Warmup, Runs  int
	SvgCmd, JSCmd string
	SvgRSS, JSRSS float64 // KiB, each process's peak
	Files         []PeerTraceFile
}

// A PeerTraceFile is one bitmap through both.
type PeerTraceFile struct {
	Name                    string // "picos_400"
	Width, Height           int
	Svg, JS                 peerFile
	SvgGzip, JSGzip         int64
	SvgMismatch, JSMismatch float64 // percent; NaN if not measured
}

// Ratio returns node-potrace's median time over svgtrace's: of the whole
// file to SVG, or of one stage.
func (f *PeerTraceFile) Ratio(stage string) float64 {
	if stage == "" {
		return median(f.JS.Total) / median(f.Svg.Total)
	}
	return median(f.JS.Stages[stage]) / median(f.Svg.Stages[stage])
}

// An EndToEnd is one photo to a placeholder by each tool.
type EndToEnd struct {
	File          string
	Width, Height int
	Warmup, Runs  int
	Tools         [3]ToolRun // svgtrace, node-potrace, image-trace-loader
}

// A ToolRun is one tool's process of an end-to-end comparison.
type ToolRun struct {
	Cmd   string
	Out   peerFile
	Gzip  int64
	RSSKB float64
}

// An ITLResult is image-trace-loader's placeholder of a photo downscaled to
// 400 px, measured in the run.
type ITLResult struct {
	File               string // the photo: "picos.jpg"
	Width, Height      int
	SVGBytes, URIBytes int
	Thresholds         []int   // the explicit thresholds that trace as its automatic one
	Threshold          int     // the one whose bitmap Mismatch is against
	Mismatch           float64 // percent; NaN if not measured
}

// An ITLConstant is a row of placeholder_test.go's imageTraceLoader.
type ITLConstant struct {
	URIBytes int
	Mismatch float64
}

// peerEnv is what the peer measurements share.
type peerEnv struct {
	c       *config
	e       *env
	npmDir  string
	script  string // peers.js
	worker  string // this program, for svgtrace's processes
	work    string // inputs and outputs
	r       *runner
	nodeEnv []string
	seq     int     // numbers output directories
	floorKB float64 // the runner's largest peak RSS
}

// checkPeerTools finds node and npm, or says how to do without.
func checkPeerTools() error {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: the peer benchmarks (node-potrace, image-trace-loader) need Node and npm "+
				"(Debian: apt-get install nodejs npm); or pass -skip-peers", tool)
		}
	}
	return nil
}

// npmKey returns the hash of the pinned npm files in dir.
func npmKey(dir string) (string, error) {
	h := sha256.New()
	for _, name := range npmFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// installPeers installs the pinned npm packages once per version of the pins
// and returns their directory: $XDG_CACHE_HOME/svgtrace-bench/npm-KEY (or
// ~/.cache/…), KEY the hash of the pinned files. A cache rather than the
// run's temporary directory, because npm ci takes 15 s or more and the
// network each time; a directory per hash, so that changed pins install
// afresh; outside the repository, so that no node_modules lands in the
// module. The install goes into a temporary directory renamed into place when
// complete, so an interrupted one is never taken for finished.
func installPeers(ctx context.Context, root string) (string, error) {
	src := filepath.Join(root, peersDir)
	key, err := npmKey(src)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the npm packages: %w", err)
	}
	base := filepath.Join(cache, "svgtrace-bench")
	dir := filepath.Join(base, "npm-"+key)
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, name := range npmFiles {
		if err := copyFile(filepath.Join(src, name), filepath.Join(tmp, name)); err != nil {
			return "", err
		}
	}
	logf("npm ci --no-audit --no-fund in %s (once per package-lock.json)", dir)
	if err := runQuiet(ctx, tmp, nil, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	// Earlier pins' installs are of no more use.
	old, _ := filepath.Glob(filepath.Join(base, "npm-*"))
	for _, d := range old {
		if d != dir {
			os.RemoveAll(d)
		}
	}
	return dir, nil
}

// peerBenchmarks runs every peer comparison.
func peerBenchmarks(ctx context.Context, c *config, e *env, npmDir string) (*PeerBench, error) {
	pe := &peerEnv{c: c, e: e, npmDir: npmDir, script: filepath.Join(e.root, peersDir, "peers.js"),
		work: filepath.Join(e.tmp, "peers"), nodeEnv: []string{"NODE_PATH=" + filepath.Join(npmDir, "node_modules")}}
	if err := os.MkdirAll(pe.work, 0o755); err != nil {
		return nil, err
	}
	pb := &PeerBench{NPMDir: npmDir, Runs: c.peerRuns, Warmup: c.peerWarmup,
		BigRuns: min(bigRuns, c.peerRuns), BigWarmup: min(bigWarmup, c.peerWarmup)}
	var err error
	if pb.Versions, err = pe.versions(ctx); err != nil {
		return nil, err
	}
	logf("peers: node %s, potrace %s, image-trace-loader %s (svgo %s, node-vibrant %s)", pb.Versions["node"],
		pb.Versions["potrace"], pb.Versions["image-trace-loader"], pb.Versions["svgo"], pb.Versions["node-vibrant"])
	if pe.r, err = startRunner(ctx, e.tmp); err != nil {
		return nil, fmt.Errorf("start runner: %w", err)
	}
	defer func() {
		if err := pe.r.close(); err != nil {
			logf("runner: %v", err)
		}
	}()
	pe.worker = pe.r.cmd.Path // a copy of this program
	if pb.Trace, err = pe.traceCases(pb); err != nil {
		return nil, err
	}
	if pb.EndToEnd, err = pe.endToEnd(pb); err != nil {
		return nil, err
	}
	if err := pe.itl400(ctx, pb); err != nil {
		return nil, err
	}
	pb.FloorKB = pe.floorKB
	pb.Constants, err = readITLConstants(filepath.Join(e.root, "tracecore", "placeholder_test.go"))
	if err != nil {
		pb.ConstErr = err.Error()
	}
	return pb, nil
}

// versions asks peers.js which versions it loads.
func (pe *peerEnv) versions(ctx context.Context) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "node", pe.script, "versions")
	cmd.Env = append(os.Environ(), pe.nodeEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node peers.js versions: %w\n%s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("node peers.js versions: %w", err)
	}
	return v, nil
}

// A peerProc is one measuring process to run.
type peerProc struct {
	node         bool   // peers.js, else svgtrace's worker
	mode         string // peers.js's or the worker's mode
	args         []string
	files        []string
	warmup, runs int
	measured     bool // runs are timed: pass -warmup and -runs
	display      string
	out          *peerOutput
	rssKB        float64
}

// argv returns the command line and the environment variables it adds.
func (pe *peerEnv) argv(p *peerProc, outFile, saveDir string) (env, argv []string) {
	dash := "-"
	if p.node {
		dash = "--"
		argv = []string{"node", pe.script, p.mode}
		env = pe.nodeEnv
	} else {
		argv = []string{pe.worker, p.mode}
		env = []string{workerEnv + "=1"}
	}
	argv = append(argv, p.args...)
	if p.measured {
		argv = append(argv, dash+"warmup", strconv.Itoa(p.warmup), dash+"runs", strconv.Itoa(p.runs))
	}
	argv = append(argv, dash+"out", outFile, dash+"save", saveDir)
	return env, append(argv, p.files...)
}

// displayCmd is a process's command line as the report shows it: file
// names without directories, and without -out and -save.
func (pe *peerEnv) displayCmd(p *peerProc) string {
	var d []string
	dash := "-"
	if p.node {
		dash = "--"
		d = []string{"node", "peers.js", p.mode}
	} else {
		d = []string{workerEnv + "=1", "svgtrace-bench", p.mode}
	}
	d = append(d, p.args...)
	if p.measured {
		d = append(d, dash+"warmup", strconv.Itoa(p.warmup), dash+"runs", strconv.Itoa(p.runs))
	}
	for _, f := range p.files {
		d = append(d, filepath.Base(f))
	}
	return shellJoin(d)
}

// run runs p through the runner and reads what it wrote.
func (pe *peerEnv) run(p *peerProc) error {
	pe.seq++
	save := filepath.Join(pe.work, fmt.Sprintf("out-%02d", pe.seq))
	if err := os.MkdirAll(save, 0o755); err != nil {
		return err
	}
	outFile := filepath.Join(save, "results.json")
	env, argv := pe.argv(p, outFile, save)
	p.display = pe.displayCmd(p)
	logf("  %s", p.display)
	s, err := pe.r.runEnv(pe.work, env, argv)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range p.files {
		names = append(names, baseName(f))
	}
	runs := p.runs
	if !p.measured {
		runs = 1
	}
	if p.out, err = parsePeerOutput(data, names, runs); err != nil {
		return fmt.Errorf("%s: %w", p.display, err)
	}
	p.rssKB = s.rssKB
	pe.floorKB = max(pe.floorKB, s.floorKB)
	return nil
}

// runAll runs procs, the first of them first when first is even, else the
// last first: which tool goes first alternates between comparisons, so load
// on the machine falls on each.
func (pe *peerEnv) runAll(first int, procs ...*peerProc) error {
	order := make([]*peerProc, len(procs))
	for i := range procs {
		order[i] = procs[(first+i)%len(procs)]
	}
	for _, p := range order {
		if err := pe.run(p); err != nil {
			return err
		}
	}
	return nil
}

// potraceArgs are node-potrace's parameters for a comparison with potrace's
// defaults at turd size turd on a 1-bit image.
func potraceArgs(turd int) []string {
	return []string{"--threshold", strconv.Itoa(potraceThreshold), "--turdSize", strconv.Itoa(turd),
		"--turnPolicy", "TURNPOLICY_MINORITY", "--alphaMax", "1", "--optCurve", "true", "--optTolerance", "0.2"}
}

// traceCases runs svgtrace against node-potrace on PNGs of the test bitmaps:
// the five at 400 px in one process each, and each full-size one of -full.
func (pe *peerEnv) traceCases(pb *PeerBench) ([]*PeerTraceCase, error) {
	pngDir := filepath.Join(pe.work, "png")
	if err := os.MkdirAll(pngDir, 0o755); err != nil {
		return nil, err
	}
	pbms, err := filepath.Glob(filepath.Join(pe.e.pbmDir, "*_400.pbm"))
	if err != nil || len(pbms) == 0 {
		return nil, fmt.Errorf("no *_400.pbm bitmaps in %s", pe.e.pbmDir)
	}
	type group struct {
		label string
		names []string
		full  bool
	}
	var small []string
	for _, f := range pbms {
		small = append(small, strings.TrimSuffix(filepath.Base(f), ".pbm"))
	}
	groups := []group{{fmt.Sprintf("%d files at 400 px", len(small)), small, false}}
	for _, name := range pe.c.full {
		groups = append(groups, group{name + ".pbm", []string{name}, true})
	}
	// The bitmaps, and their PNGs for both programs.
	bms := map[string]*tracecore.Bitmap{}
	for _, g := range groups {
		for _, name := range g.names {
			bm, err := readPBM(filepath.Join(pe.e.pbmDir, name+".pbm"))
			if err != nil {
				return nil, err
			}
			bms[name] = bm
			if err := writePNG(filepath.Join(pngDir, name+".png"), bitmapImage(bm)); err != nil {
				return nil, err
			}
		}
	}
	var cases []*PeerTraceCase
	for _, turd := range pe.c.turds {
		for _, g := range groups {
			pc := &PeerTraceCase{Label: g.label, Full: g.full, Turd: turd, Warmup: pb.Warmup, Runs: pb.Runs}
			var files []string
			for _, name := range g.names {
				bm := bms[name]
				if int64(bm.Width)*int64(bm.Height) > bigPixels {
					pc.Warmup, pc.Runs = pb.BigWarmup, pb.BigRuns
				}
				files = append(files, filepath.Join(pngDir, name+".png"))
			}
			logf("in-process trace, svgtrace vs node-potrace, %s, -t %d: %d runs + %d warm-up", g.label, turd, pc.Runs, pc.Warmup)
			svg := &peerProc{mode: "trace", args: []string{"-t", strconv.Itoa(turd)}, files: files,
				warmup: pc.Warmup, runs: pc.Runs, measured: true}
			js := &peerProc{node: true, mode: "potrace", args: potraceArgs(turd), files: files,
				warmup: pc.Warmup, runs: pc.Runs, measured: true}
			if err := pe.runAll(len(cases), svg, js); err != nil {
				return nil, err
			}
			pc.SvgCmd, pc.JSCmd = svg.display, js.display
			pc.SvgRSS, pc.JSRSS = svg.rssKB, js.rssKB
			for i, name := range g.names {
				f := PeerTraceFile{Name: name, Width: bms[name].Width, Height: bms[name].Height,
					Svg: svg.out.Files[i], JS: js.out.Files[i], SvgMismatch: math.NaN(), JSMismatch: math.NaN()}
				var svgs [2][]byte
				for k, pf := range []peerFile{f.Svg, f.JS} {
					if svgs[k], err = os.ReadFile(pf.SVG); err != nil {
						return nil, err
					}
				}
				f.SvgGzip, f.JSGzip = gzipSize(svgs[0]), gzipSize(svgs[1])
				if pe.c.fidelity {
					if f.SvgMismatch, err = fidelity.Mismatch(bms[name], blackFill(svgs[0])); err != nil {
						return nil, fmt.Errorf("mismatch of svgtrace's %s: %w", name, err)
					}
					if f.JSMismatch, err = fidelity.Mismatch(bms[name], blackFill(svgs[1])); err != nil {
						return nil, fmt.Errorf("mismatch of node-potrace's %s: %w", name, err)
					}
				}
				logf("  %s: svgtrace %s, node-potrace %s, %s", name, fmtMs(median(f.Svg.Total)), fmtMs(median(f.JS.Total)), fmtRatio(f.Ratio("")))
				pc.Files = append(pc.Files, f)
			}
			cases = append(cases, pc)
		}
	}
	return cases, nil
}

// photos returns the test photos, tracecore/testdata/images/*.
func photos(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "tracecore", "testdata", "images", "*"))
	if err == nil && len(files) == 0 {
		err = errors.New("no test photos in tracecore/testdata/images")
	}
	return files, err
}

// endToEnd takes each test photo to a placeholder with each tool, each in
// its own process: svgtrace's placeholder preset, node-potrace's pipeline
// with image-trace-loader's threshold, turd size and colour (automatic), and
// image-trace-loader's whole pipeline on the full-size file.
func (pe *peerEnv) endToEnd(pb *PeerBench) ([]*EndToEnd, error) {
	files, err := photos(pe.e.root)
	if err != nil {
		return nil, err
	}
	var out []*EndToEnd
	for i, path := range files {
		cfg, err := decodeConfig(path)
		if err != nil {
			return nil, err
		}
		ee := &EndToEnd{File: filepath.Base(path), Width: cfg.Width, Height: cfg.Height, Warmup: pb.Warmup, Runs: pb.Runs}
		if int64(cfg.Width)*int64(cfg.Height) > bigPixels {
			ee.Warmup, ee.Runs = pb.BigWarmup, pb.BigRuns
		}
		logf("end to end, %s (%d×%d): %d runs + %d warm-up each", ee.File, cfg.Width, cfg.Height, ee.Runs, ee.Warmup)
		procs := []*peerProc{
			{mode: "placeholder"},
			{node: true, mode: "potrace", args: []string{"--threshold", "THRESHOLD_AUTO", "--turdSize", strconv.Itoa(itlTurd),
				"--color", "COLOR_AUTO", "--datauri"}},
			{node: true, mode: "itl"},
		}
		for _, p := range procs {
			p.files, p.warmup, p.runs, p.measured = []string{path}, ee.Warmup, ee.Runs, true
		}
		if err := pe.runAll(i, procs...); err != nil {
			return nil, err
		}
		for k, p := range procs {
			tr := ToolRun{Cmd: p.display, Out: p.out.Files[0], RSSKB: p.rssKB}
			svg, err := os.ReadFile(tr.Out.SVG)
			if err != nil {
				return nil, err
			}
			tr.Gzip = gzipSize(svg)
			ee.Tools[k] = tr
		}
		logf("  svgtrace %s, node-potrace %s, image-trace-loader %s", fmtMs(median(ee.Tools[0].Out.Total)),
			fmtMs(median(ee.Tools[1].Out.Total)), fmtMs(median(ee.Tools[2].Out.Total)))
		out = append(out, ee)
	}
	return out, nil
}

func decodeConfig(path string) (imageio.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return imageio.Config{}, err
	}
	defer f.Close()
	cfg, err := imageio.DecodeConfig(f)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// itl400 measures image-trace-loader's placeholder of each photo downscaled
// to 400 px (boxDownscale), as the placeholder preset's target is stated:
// its data URI's bytes, and the mismatch of its SVG against the bitmap
// node-potrace traced for it (luminance ≤ the threshold found by peers.js's
// search; where several thresholds trace alike, the one most favourable to
// image-trace-loader). svgtrace's placeholders of the same photos are made
// beside it, as an upload gets them.
func (pe *peerEnv) itl400(ctx context.Context, pb *PeerBench) error {
	files, err := photos(pe.e.root)
	if err != nil {
		return err
	}
	dir := filepath.Join(pe.work, "itl400")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var pngs []string
	for _, path := range files {
		png := filepath.Join(dir, baseName(path)+".png")
		if err := downscalePNG(path, png, itlMaxSide); err != nil {
			return err
		}
		pngs = append(pngs, png)
	}
	logf("image-trace-loader at %d px and its bitmaps, %d photos", itlMaxSide, len(pngs))
	p := &peerProc{node: true, mode: "itl-bitmap", files: pngs}
	if err := pe.run(p); err != nil {
		return err
	}
	pb.ITLCmd = p.display
	for i, path := range files {
		pf := p.out.Files[i]
		r := ITLResult{File: filepath.Base(path), Width: pf.Width, Height: pf.Height, SVGBytes: pf.SVGBytes,
			URIBytes: pf.URIBytes, Thresholds: pf.Thresholds, Threshold: -1, Mismatch: math.NaN()}
		if len(pf.Thresholds) == 0 {
			logf("  %s: no explicit threshold traces as image-trace-loader's automatic one", r.File)
		} else if pe.c.fidelity {
			if r.Threshold, r.Mismatch, err = itlMismatch(pf); err != nil {
				return fmt.Errorf("mismatch of image-trace-loader's %s: %w", r.File, err)
			}
		}
		pb.ITL = append(pb.ITL, r)
		own, err := placeholderOf(ctx, path, pe.c.fidelity)
		if err != nil {
			return fmt.Errorf("placeholder of %s: %w", r.File, err)
		}
		pb.Own = append(pb.Own, own)
		logf("  %s: image-trace-loader %d bytes, mismatch %s (threshold %d); svgtrace %d bytes, %s", r.File,
			r.URIBytes, fmtPct(r.Mismatch), r.Threshold, own.URIBytes, fmtPct(own.Mismatch))
	}
	return nil
}

// itlMismatch renders image-trace-loader's SVG once and returns the
// threshold of pf.Thresholds whose bitmap it matches best, with its mismatch.
func itlMismatch(pf peerFile) (int, float64, error) {
	lum, err := readGray(pf.PGM)
	if err != nil {
		return 0, 0, err
	}
	svg, err := os.ReadFile(pf.SVG)
	if err != nil {
		return 0, 0, err
	}
	b := lum.Bounds()
	img, err := fidelity.Render(blackFill(svg), b.Dx(), b.Dy())
	if err != nil {
		return 0, 0, err
	}
	best, bestT := math.Inf(1), -1
	for _, t := range pf.Thresholds {
		bm, err := grayBitmap(lum, t)
		if err != nil {
			return 0, 0, err
		}
		if m := 100 * float64(fidelity.DifferingPixels(bm, img)) / float64(bm.Width*bm.Height); m < best {
			best, bestT = m, t
		}
	}
	return bestT, best, nil
}

// readITLConstants reads the imageTraceLoader table of
// TestPlaceholderAgainstImageTraceLoader from its source, so the report can
// compare the live figures with the ones the test holds the preset to
// without a copy of them here: rows of {"file", uriBytes, mismatch}.
func readITLConstants(path string) (map[string]ITLConstant, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseITLConstants(src)
}

func parseITLConstants(src []byte) (map[string]ITLConstant, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "placeholder_test.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var lit *ast.CompositeLit
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name == "imageTraceLoader" && i < len(vs.Values) {
					lit, _ = vs.Values[i].(*ast.CompositeLit)
				}
			}
		}
	}
	if lit == nil {
		return nil, errors.New("placeholder_test.go: no imageTraceLoader table")
	}
	out := map[string]ITLConstant{}
	for _, elt := range lit.Elts {
		row, ok := elt.(*ast.CompositeLit)
		if !ok || len(row.Elts) != 3 {
			return nil, errors.New("placeholder_test.go: an imageTraceLoader row is not {file, bytes, mismatch}")
		}
		var vals [3]string
		for i, e := range row.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				e = kv.Value
			}
			bl, ok := e.(*ast.BasicLit)
			if !ok {
				return nil, errors.New("placeholder_test.go: an imageTraceLoader value is not a literal")
			}
			vals[i] = bl.Value
		}
		file, err1 := strconv.Unquote(vals[0])
		n, err2 := strconv.Atoi(vals[1])
		m, err3 := strconv.ParseFloat(vals[2], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("placeholder_test.go: imageTraceLoader row %s: %w", file, err)
		}
		out[file] = ITLConstant{n, m}
	}
	return out, nil
}
