package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Targets of the image benchmarks (issue 3).
const (
	targetPlaceholderMs = 150 // picos.jpg bytes to a placeholder data URI, native
	targetPosterizeMs   = 10  // 4 layers at 400 px
	targetCancelMs      = 50  // mean cancel latency of a 50 MP trace
)

// imagesPattern selects the benchmarks of the images section, in each of
// the two packages that hold them.
const (
	imageioPattern   = "^Benchmark(Decode|Placeholder)$"
	tracecorePattern = "^Benchmark(Posterize|CancelLatency)$"
)

// ImageBench is the images section: go benchmarks of decoding, placeholders,
// posterizing and cancelling, natively, and the placeholder of each test
// photo.
type ImageBench struct {
	Cmds         []string
	Names        []string
	Lines        map[string][]BenchLine // by benchmark, one per round
	Placeholders []PlaceholderResult
	// ITL holds image-trace-loader's figures by photo, measured in the same
	// run by the peer benchmarks; nil when they were skipped.
	ITL map[string]ITLResult
}

// A PlaceholderResult is the placeholder preset's output for one photo.
type PlaceholderResult struct {
	File                    string
	Width, Height           int
	TraceWidth, TraceHeight int
	Scale                   int // decoded at Scale/8 of its size (1, 2 or 4); 0 at full size
	SVGBytes, URIBytes      int
	GzipBytes               int64
	Mismatch                float64 // percent; NaN if not measured
}

// imageBenchmarks runs the image benchmarks natively in rounds, both test
// binaries once a round, and makes each photo's placeholder.
func imageBenchmarks(ctx context.Context, c *config, e *env) (*ImageBench, error) {
	ib := &ImageBench{Lines: map[string][]BenchLine{}}
	testArgs := func(pattern string) []string {
		return []string{"-test.run", "^$", "-test.bench", pattern, "-test.benchmem", "-test.count", "1", "-test.benchtime", c.benchtime}
	}
	rounds := fmt.Sprintf("   # × %d", c.benchCount)
	ib.Cmds = []string{
		"go test -c -o imageio.test ./tracecore/imageio && cd tracecore/imageio && ../../imageio.test " + shellJoin(testArgs(imageioPattern)) + rounds,
		"go test -c -o tracecore.test ./tracecore && cd tracecore && ../tracecore.test " + shellJoin(testArgs(tracecorePattern)) + rounds,
	}
	runs := []struct {
		bin, dir, pattern string
	}{
		{e.imageio, filepath.Join(e.root, "tracecore", "imageio"), imageioPattern},
		{e.native, filepath.Join(e.root, "tracecore"), tracecorePattern},
	}
	for round := range c.benchCount {
		for _, r := range runs {
			t0 := time.Now()
			out, err := benchOutput(ctx, r.dir, nil, append([]string{r.bin}, testArgs(r.pattern)...), 10*time.Minute)
			if err != nil {
				return nil, err
			}
			lines := parseBench(out)
			if len(lines) == 0 {
				return nil, fmt.Errorf("%s printed no results:\n%s", r.bin, out)
			}
			for _, l := range lines {
				if _, seen := ib.Lines[l.Name]; !seen {
					ib.Names = append(ib.Names, l.Name)
				}
				ib.Lines[l.Name] = append(ib.Lines[l.Name], l)
			}
			logf("image benchmarks, round %d/%d, %s: %d results in %s", round+1, c.benchCount, filepath.Base(r.bin), len(lines), time.Since(t0).Round(time.Second))
		}
	}
	photos, err := filepath.Glob(filepath.Join(e.root, "tracecore", "testdata", "images", "*"))
	if err != nil {
		return nil, err
	}
	for _, path := range photos {
		pr, err := placeholderOf(ctx, path, c.fidelity)
		if err != nil {
			return nil, fmt.Errorf("placeholder of %s: %w", filepath.Base(path), err)
		}
		ib.Placeholders = append(ib.Placeholders, pr)
	}
	return ib, nil
}

// placeholderOf makes the placeholder of the image at path as an upload
// gets it, and measures it.
func placeholderOf(ctx context.Context, path string, withFidelity bool) (PlaceholderResult, error) {
	pr := PlaceholderResult{File: filepath.Base(path), Mismatch: math.NaN()}
	data, err := os.ReadFile(path)
	if err != nil {
		return pr, err
	}
	opts := tracecore.PlaceholderOptions()
	img, cfg, err := imageio.DecodeReduced(bytes.NewReader(data), 0, opts.MaxSide)
	if err != nil {
		return pr, err
	}
	if r, ok := img.(*tracecore.Reduced); ok {
		// DecodeReduced's image at n/8 is ⌈Width·n/8⌉ wide, so n is
		// ⌊8·width/Width⌋ for any Width of 8 or more.
		pr.Scale = 8 * r.Image.Bounds().Dx() / r.Width
	}
	var t tracecore.Tracer
	p, err := t.Prepare(ctx, img, opts)
	if err != nil {
		return pr, err
	}
	res, err := t.TracePrepared(ctx, p, opts)
	if err != nil {
		return pr, err
	}
	svg := res.SVG()
	pr.Width, pr.Height = cfg.Width, cfg.Height
	pr.TraceWidth, pr.TraceHeight = res.Width, res.Height
	pr.SVGBytes, pr.URIBytes = len(svg), len(res.DataURI())
	pr.GzipBytes = gzipSize(svg)
	if withFidelity {
		if pr.Mismatch, err = fidelity.Mismatch(p.Bitmap, blackFill(svg)); err != nil {
			return pr, err
		}
	}
	return pr, nil
}

// nsMedian returns the median ns/op of a benchmark, NaN if it did not run.
func (ib *ImageBench) nsMedian(name string) float64 { return median(nsPerOp(ib.Lines[name])) }

// metricMedian returns the median of a benchmark's reported metric.
func (ib *ImageBench) metricMedian(name, unit string) float64 {
	var v []float64
	for _, l := range ib.Lines[name] {
		if x, ok := l.Metrics[unit]; ok {
			v = append(v, x)
		}
	}
	return median(v)
}

// limitTarget judges a figure against an upper limit in the same unit.
func limitTarget(what string, got, limit float64, unit string) Target {
	if math.IsNaN(got) {
		return Target{false, fmt.Sprintf("%s: not measured (target ≤ %s %s)", what, fmtSig3(limit), unit)}
	}
	pass := got <= limit
	gap := fmt.Sprintf("%s %s under", fmtSig3(limit-got), unit)
	if !pass {
		gap = fmt.Sprintf("%s %s over", fmtSig3(got-limit), unit)
	}
	return Target{pass, fmt.Sprintf("%s: %s %s (target ≤ %s %s; %s)", what, fmtSig3(got), unit, fmtSig3(limit), unit, gap)}
}

// Targets judges the image targets.
func (ib *ImageBench) Targets() []Target {
	ts := []Target{
		limitTarget("picos.jpg to a placeholder data URI, end to end, native (BenchmarkPlaceholder)",
			ib.nsMedian("BenchmarkPlaceholder/picos.jpg")/1e6, targetPlaceholderMs, "ms"),
		limitTarget("posterize, 4 layers at 400 px (BenchmarkPosterize/400px)",
			ib.nsMedian("BenchmarkPosterize/400px")/1e6, targetPosterizeMs, "ms"),
		limitTarget("cancel latency of a 50 MP trace, mean (BenchmarkCancelLatency)",
			ib.metricMedian("BenchmarkCancelLatency", "cancel-ms"), targetCancelMs, "ms"),
	}
	// The placeholders against image-trace-loader's are the peers' targets
	// (PeerBench.Targets), measured live.
	return ts
}

func (ib *ImageBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Images to placeholders\n\n")
	p("The image benchmarks, natively: BenchmarkDecode decodes picos.jpg (3264×2448, progressive, 1.8 MB) in full with ")
	p("imageio.Decode, at 1/8 scale with imageio.DecodeReduced (its DC scans only), with image/jpeg alone, and with an ")
	p("EXIF orientation of 6; BenchmarkPlaceholder takes each test photo's bytes to the placeholder preset's data URI ")
	p("(DecodeReduced, TraceImage, AppendDataURI); BenchmarkPosterize traces picos.jpg in 4 grey layers at 400 px from ")
	p("the 408×306 reduced decode and from the full-size decode; BenchmarkCancelLatency cancels traces of a 50-megapixel ")
	p("bitmap and times how long they take to return (cancel-ms, the mean; worst-cancel-ms). Medians over the rounds.\n\n")
	p("```\n%s\n```\n\n", strings.Join(ib.Cmds, "\n"))
	p("| benchmark | ns/op | min–max | B/op | allocs/op | other |\n")
	p("|---|--:|--:|--:|--:|---|\n")
	for _, n := range ib.Names {
		ls := ib.Lines[n]
		s := summarize(nsPerOp(ls))
		nb, na := memOf(ls)
		var other []string
		for _, unit := range []string{"cancel-ms", "worst-cancel-ms"} {
			if v := ib.metricMedian(n, unit); !math.IsNaN(v) {
				other = append(other, fmt.Sprintf("%s %s", fmtSig3(v), unit))
			}
		}
		p("| %s | %s | %s–%s | %s | %s | %s |\n", n, fmtMs(s.Median/1e6), fmtMs(s.Min/1e6), fmtMs(s.Max/1e6),
			fmtMem(nb), fmtMem(na), strings.Join(other, ", "))
	}
	p("\n### Placeholders of the test photos\n\n")
	p("The placeholder preset (`tracecore.PlaceholderOptions()`) on each image of tracecore/testdata/images, decoded ")
	p("as an upload is (a JPEG at the smallest of 1/8, 1/4 and 1/2 scale that still covers 400 pixels). Mismatch is against ")
	p("the placeholder's own bitmap, rendered with its fill as black. ")
	if ib.ITL != nil {
		p("image-trace-loader's figures are measured in this run, on the same photos downscaled to 400 pixels ")
		p("(see [Placeholders against image-trace-loader](#placeholders-against-image-trace-loader-at-400-px)).\n\n")
	} else {
		p("image-trace-loader's figures were not measured in this run (-skip-peers).\n\n")
	}
	p("| image | size | traced | decoded | SVG bytes | data URI bytes | gzip bytes | mismatch | image-trace-loader data URI | its mismatch |\n")
	p("|---|--:|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for _, pr := range ib.Placeholders {
		how := "full size"
		if pr.Scale > 0 {
			how = fmt.Sprintf("1/%d scale", 8/pr.Scale)
		}
		itlBytes, itlMismatch := "n/a", "n/a"
		if itl, ok := ib.ITL[pr.File]; ok {
			itlBytes, itlMismatch = fmtInt(int64(itl.URIBytes)), fmtPct(itl.Mismatch)
		}
		p("| %s | %d×%d | %d×%d | %s | %s | %s | %s | %s | %s | %s |\n", pr.File, pr.Width, pr.Height,
			pr.TraceWidth, pr.TraceHeight, how, fmtInt(int64(pr.SVGBytes)), fmtInt(int64(pr.URIBytes)),
			fmtInt(pr.GzipBytes), fmtPct(pr.Mismatch), itlBytes, itlMismatch)
	}
	p("\n")
}
