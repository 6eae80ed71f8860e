package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// versionLine names the peers and what ran them, for the report's header.
func (pb *PeerBench) versionLine() string {
	v := func(k string) string {
		if s := pb.Versions[k]; s != "" {
			return s
		}
		return "?"
	}
	return fmt.Sprintf("Node %s; node-potrace (npm potrace) %s with jimp %s; image-trace-loader %s with node-vibrant %s, svgo %s, potrace %s",
		v("node"), v("potrace"), v("jimp"), v("image-trace-loader"), v("node-vibrant"), v("svgo"), v("itl-potrace"))
}

// speedups returns node-potrace/svgtrace of every file of the trace cases at
// full size or at 400 px, file to SVG or of one stage, with names for the
// worst.
func (pb *PeerBench) speedups(full bool, stage string) (names []string, ratios []float64) {
	for _, c := range pb.Trace {
		if c.Full != full {
			continue
		}
		for i := range c.Files {
			f := &c.Files[i]
			names = append(names, fmt.Sprintf("%s -t %d", f.Name, c.Turd))
			ratios = append(ratios, f.Ratio(stage))
		}
	}
	return names, ratios
}

// minRatioTarget judges a ratio against a lower bound.
func minRatioTarget(what string, got, limit float64) Target {
	pass := got >= limit
	gap := fmt.Sprintf("%.2f× above", got-limit)
	if !pass {
		gap = fmt.Sprintf("%.2f× short", limit-got)
	}
	if math.IsNaN(got) {
		pass, gap = false, "not measured"
	}
	return Target{pass, fmt.Sprintf("%s: %s (target ≥ %.2f×; %s)", what, fmtRatio(got), limit, gap)}
}

// Targets judges the peers' targets: svgtrace at least targetPeerSpeedup
// times faster than node-potrace in-process from the file to the SVG, by the
// geometric mean of the files' ratios at 400 px and at full size (the worst,
// and the trace stage's own ratio, are shown), and the placeholder's data URI
// no larger than image-trace-loader's, at a mismatch no worse, measured in
// the run.
func (pb *PeerBench) Targets() []Target {
	var ts []Target
	for _, full := range []bool{false, true} {
		names, ratios := pb.speedups(full, "")
		if len(ratios) == 0 {
			continue
		}
		size := "400 px"
		if full {
			size = "full size"
		}
		worst, worstName := math.Inf(1), ""
		for i, r := range ratios {
			if r < worst {
				worst, worstName = r, names[i]
			}
		}
		t := minRatioTarget(fmt.Sprintf("svgtrace ≥ %.0f× faster than node-potrace, in-process file to SVG at %s, geometric mean of %d node-potrace/svgtrace ratios",
			targetPeerSpeedup, size, len(ratios)), geomean(ratios), targetPeerSpeedup)
		_, traceRatios := pb.speedups(full, "trace")
		t.Line += fmt.Sprintf("; worst %s %s; the trace stage alone (getSVG against TraceImage and AppendSVG) %s, worst %s",
			worstName, fmtRatio(worst), fmtRatio(geomean(traceRatios)), fmtRatio(slices.Min(traceRatios)))
		ts = append(ts, t)
	}
	for _, file := range placeholderTargets {
		own, itl, ok := pb.placeholderPair(file)
		if !ok {
			continue
		}
		t := limitTarget(fmt.Sprintf("placeholder data URI of %s ≤ image-trace-loader's (measured in this run, 400 px)", file),
			float64(own.URIBytes), float64(itl.URIBytes), "bytes")
		t.Line += fmt.Sprintf("; mismatch %s vs %s", fmtPct(own.Mismatch), fmtPct(itl.Mismatch))
		if !math.IsNaN(own.Mismatch) && !math.IsNaN(itl.Mismatch) {
			t.Pass = t.Pass && own.Mismatch <= itl.Mismatch
		} else {
			t.Pass = false
			t.Line += " (mismatch not measured)"
		}
		ts = append(ts, t)
	}
	return ts
}

// placeholderPair returns svgtrace's and image-trace-loader's placeholders
// of file.
func (pb *PeerBench) placeholderPair(file string) (PlaceholderResult, ITLResult, bool) {
	for i, r := range pb.ITL {
		if r.File == file && i < len(pb.Own) && pb.Own[i].File == file {
			return pb.Own[i], r, true
		}
	}
	return PlaceholderResult{}, ITLResult{}, false
}

// fmtRSSFloor formats a peer process's max RSS, marking one at the runner's
// floor.
func (pb *PeerBench) fmtRSSFloor(kb float64) string {
	if kb <= pb.FloorKB {
		return "≤ " + fmtKB(kb)
	}
	return fmtKB(kb)
}

// fmtMsRange formats the median and range of times in milliseconds.
func fmtMsRange(xs []float64) string { return fmtRange(summarize(xs), fmtMs) }

func (pb *PeerBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Peers: node-potrace and image-trace-loader\n\n")
	p("node-potrace (npm `potrace` %s, potrace's algorithm in JavaScript) and image-trace-loader (npm %s, the webpack loader ",
		pb.Versions["potrace"], pb.Versions["image-trace-loader"])
	p("that made traced-SVG placeholders common: node-vibrant %s for the colour, node-potrace, SVGO %s), run by Node %s ",
		pb.Versions["node-vibrant"], pb.Versions["svgo"], pb.Versions["node"])
	p("through their documented APIs from `%s/peers.js`; image-trace-loader's pipeline (its lib/index.js) is called as a function ", peersDir)
	p("there, with the dependency versions it resolves, since a loader needs webpack. The harness installs them with ")
	p("`npm ci` from the committed package-lock.json into `%s`, a cache named by the pinned files' hash (`NODE_PATH` points ", pb.NPMDir)
	p("there). Every measurement is a process of its own, started by the runner, which records its peak RSS: svgtrace's ")
	p("is this harness re-executed as a worker (`SVGTRACE_BENCH_WORKER=1`), which times tracecore in-process as peers.js times ")
	p("the peers. Each process runs every input %d times unmeasured first (V8 compiles the hot code meanwhile), then %d ",
		pb.Warmup, pb.Runs)
	p("measured rounds over its inputs (%d and %d for inputs over %s pixels); times are the median (min–max) of the runs, ",
		pb.BigWarmup, pb.BigRuns, fmtInt(bigPixels))
	p("ratios are of medians of processes run one after the other, the first alternating. Each command also gets ")
	p("`-out` and `-save` (its JSON and its last outputs).\n\n")

	if len(pb.Trace) > 0 {
		pb.traceSection(b)
	}
	if len(pb.EndToEnd) > 0 {
		pb.e2eSection(b)
	}
	if len(pb.ITL) > 0 {
		pb.itlSection(b)
	}
}

func (pb *PeerBench) traceSection(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("### In-process trace: svgtrace vs node-potrace\n\n")
	p("The bitmaps of the process comparison, as 1-bit PNG files (node-potrace reads no PBM), from the file to an SVG in ")
	p("memory. svgtrace: read, `imageio.Decode`, `Tracer.TraceImage` with the defaults and `-t`, `AppendSVG`, one Tracer for ")
	p("every run. node-potrace: `new Potrace(params)`, `loadImage(file)`, `getSVG()`, with potrace's defaults as params ")
	p("(threshold %d of 255 on black and white, turnPolicy minority, alphaMax 1, optCurve, optTolerance 0.2) and turdSize ", potraceThreshold)
	p("the `-t`. \"load\" is reading and decoding the file (node-potrace's loadImage, which also computes luminance); ")
	p("\"trace\" is the rest: thresholding, tracing and writing the SVG (node-potrace traces in the first getSVG).\n\n")
	p("```\n")
	for _, c := range pb.Trace {
		p("%s\n%s\n", c.SvgCmd, c.JSCmd)
	}
	p("```\n\n")
	p("| input | -t | svgtrace | node-potrace | node-potrace/svgtrace | svgtrace load | node-potrace load | svgtrace trace | node-potrace trace | trace ratio |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range pb.Trace {
		for i := range c.Files {
			f := &c.Files[i]
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Name+".png", c.Turd,
				fmtMsRange(f.Svg.Total), fmtMsRange(f.JS.Total), fmtRatio(f.Ratio("")),
				fmtMs(median(f.Svg.Stages["load"])), fmtMs(median(f.JS.Stages["load"])),
				fmtMs(median(f.Svg.Stages["trace"])), fmtMs(median(f.JS.Stages["trace"])), fmtRatio(f.Ratio("trace")))
		}
	}
	p("\nOutput of the last run: SVG bytes, gzip bytes, and mismatch against the bitmap (as in the process comparison; fills rendered black).\n\n")
	p("| file | -t | svgtrace SVG | node-potrace SVG | svgtrace gzip | node-potrace gzip | svgtrace mismatch | node-potrace mismatch |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range pb.Trace {
		for _, f := range c.Files {
			p("| %s | %d | %s | %s | %s | %s | %s | %s |\n", f.Name+".png", c.Turd,
				fmtInt(int64(f.Svg.SVGBytes)), fmtInt(int64(f.JS.SVGBytes)), fmtInt(f.SvgGzip), fmtInt(f.JSGzip),
				fmtPct(f.SvgMismatch), fmtPct(f.JSMismatch))
		}
	}
	p("\nPeak memory (max RSS) of each process, all its runs included; the runner's own peak, a floor under every figure, was %s.\n\n",
		fmtKB(pb.FloorKB))
	p("| input | -t | runs | svgtrace | node-potrace | node-potrace/svgtrace |\n")
	p("|---|--:|--:|--:|--:|--:|\n")
	for _, c := range pb.Trace {
		p("| %s | %d | %d + %d | %s | %s | %s |\n", c.Label, c.Turd, c.Warmup, c.Runs,
			pb.fmtRSSFloor(c.SvgRSS), pb.fmtRSSFloor(c.JSRSS), fmtRatio(c.JSRSS/c.SvgRSS))
	}
	p("\n")
}

func (pb *PeerBench) e2eSection(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("### Image file to placeholder, end to end\n\n")
	p("Each test photo from its file to a placeholder data URI. svgtrace: the placeholder preset as an upload gets it ")
	p("(read, `imageio.DecodeReduced`, `TraceImage` with `tracecore.PlaceholderOptions()`, `AppendDataURI`). ")
	p("node-potrace: its own pipeline on the full-size file with image-trace-loader's threshold, turd size and colour ")
	p("(threshold `THRESHOLD_AUTO`, turdSize %d, color `COLOR_AUTO`, the rest its defaults), the SVG encoded as a data URI ", itlTurd)
	p("as image-trace-loader does. image-trace-loader: its whole pipeline on the full-size file, as a user of the loader gets ")
	p("it. Gzip bytes are of the SVG.\n\n")
	p("```\n")
	for _, ee := range pb.EndToEnd {
		for _, t := range ee.Tools {
			p("%s\n", t.Cmd)
		}
	}
	p("```\n\n")
	p("| image | size | runs | svgtrace | node-potrace | image-trace-loader | node-potrace/svgtrace | image-trace-loader/svgtrace |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, ee := range pb.EndToEnd {
		sv := median(ee.Tools[0].Out.Total)
		p("| %s | %d×%d | %d + %d | %s | %s | %s | %s | %s |\n", ee.File, ee.Width, ee.Height, ee.Warmup, ee.Runs,
			fmtMsRange(ee.Tools[0].Out.Total), fmtMsRange(ee.Tools[1].Out.Total), fmtMsRange(ee.Tools[2].Out.Total),
			fmtRatio(median(ee.Tools[1].Out.Total)/sv), fmtRatio(median(ee.Tools[2].Out.Total)/sv))
	}
	p("\nOutput bytes: SVG, data URI, gzip of the SVG.\n\n")
	p("| image | svgtrace | node-potrace | image-trace-loader |\n")
	p("|---|--:|--:|--:|\n")
	for _, ee := range pb.EndToEnd {
		var cells []string
		for _, t := range ee.Tools {
			cells = append(cells, fmt.Sprintf("%s / %s / %s", fmtInt(int64(t.Out.SVGBytes)), fmtInt(int64(t.Out.URIBytes)), fmtInt(t.Gzip)))
		}
		p("| %s | %s |\n", ee.File, strings.Join(cells, " | "))
	}
	p("\nWhere the time goes, median per stage: load (reading and decoding) and trace for svgtrace and node-potrace; ")
	p("image-trace-loader decodes the file twice, for node-vibrant's colour and for node-potrace, then runs SVGO.\n\n")
	p("| image | svgtrace load | svgtrace trace | node-potrace load | node-potrace trace | itl colour | itl trace | itl SVGO |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, ee := range pb.EndToEnd {
		st := func(k int, stage string) string { return fmtMs(median(ee.Tools[k].Out.Stages[stage])) }
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", ee.File, st(0, "load"), st(0, "trace"), st(1, "load"), st(1, "trace"),
			st(2, "colour"), st(2, "trace"), st(2, "svgo"))
	}
	p("\nPeak memory (max RSS) of each process, all its runs included.\n\n")
	p("| image | svgtrace | node-potrace | image-trace-loader |\n")
	p("|---|--:|--:|--:|\n")
	for _, ee := range pb.EndToEnd {
		p("| %s | %s | %s | %s |\n", ee.File, pb.fmtRSSFloor(ee.Tools[0].RSSKB), pb.fmtRSSFloor(ee.Tools[1].RSSKB), pb.fmtRSSFloor(ee.Tools[2].RSSKB))
	}
	p("\n")
}

func (pb *PeerBench) itlSection(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("### Placeholders against image-trace-loader at 400 px\n\n")
	p("The placeholder preset's target: a data URI no larger than image-trace-loader's, at a mismatch no worse. ")
	p("image-trace-loader's pipeline runs on each photo downscaled to %d px by the harness (exact area averaging, written as PNG); ", itlMaxSide)
	p("its mismatch is against the bitmap node-potrace traced for it: the luminance node-potrace computed (read from its ")
	p("Potrace object at run time) at or below the explicit threshold whose paths equal the automatic threshold's, found by ")
	p("trying 0–255 (where several match, the one most favourable to image-trace-loader). svgtrace's figures are the ")
	p("placeholder preset on the original file, as an upload gets it, against its own bitmap. Fills are rendered black. ")
	p("The last columns are the figures TestPlaceholderAgainstImageTraceLoader holds the preset to ")
	p("(tracecore/placeholder_test.go: these figures, but for brushes.jpg's bytes, which are the issue's), and the live figures' difference from them.\n\n")
	p("```\n%s\n```\n\n", pb.ITLCmd)
	if pb.ConstErr != "" {
		p("The test's figures could not be read: %s.\n\n", pb.ConstErr)
	}
	p("| image | traced | svgtrace data URI | svgtrace mismatch | image-trace-loader data URI | its mismatch | threshold | test's data URI | test's mismatch | live − test |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i, r := range pb.ITL {
		ownBytes, ownMismatch := "n/a", "n/a"
		if i < len(pb.Own) && pb.Own[i].File == r.File {
			ownBytes, ownMismatch = fmtInt(int64(pb.Own[i].URIBytes)), fmtPct(pb.Own[i].Mismatch)
		}
		thr := "none"
		if r.Threshold >= 0 {
			thr = fmt.Sprint(r.Threshold)
			if len(r.Thresholds) > 1 {
				thr += fmt.Sprintf(" (of %d)", len(r.Thresholds))
			}
		}
		cBytes, cMismatch, diff := "n/a", "n/a", "n/a"
		if k, ok := pb.Constants[r.File]; ok {
			cBytes, cMismatch = fmtInt(int64(k.URIBytes)), fmtPct(k.Mismatch)
			diff = fmt.Sprintf("%+d bytes, %+.3f points", r.URIBytes-k.URIBytes, r.Mismatch-k.Mismatch)
			if math.IsNaN(r.Mismatch) {
				diff = fmt.Sprintf("%+d bytes", r.URIBytes-k.URIBytes)
			}
		}
		p("| %s | %d×%d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.File, r.Width, r.Height, ownBytes, ownMismatch,
			fmtInt(int64(r.URIBytes)), fmtPct(r.Mismatch), thr, cBytes, cMismatch, diff)
	}
	p("\n")
}
