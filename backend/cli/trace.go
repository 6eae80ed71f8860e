package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

const traceUsage = `Usage: svgtrace trace [flags] FILE...

Traces images to SVG: JPEG (EXIF orientation applied), PNG, GIF, WebP, BMP and
netpbm (PBM, PGM, PPM), recognised by their bytes, never by their names. With
one input and no -o the output goes to standard output; with several, each is
written beside its input as NAME.svg (NAME.txt for --format datauri,
NAME.json for --format json), as potrace does. FILE "-" is standard input.
Flags may come before or after the files; "--" ends the flags. The potrace
preset (the default) matches potrace: full size, black fill, threshold 0.5; a
PBM is traced exactly as given. --preset placeholder traces at 400 px with an
automatic threshold and the image's dominant colour.

Flags (potrace's where they overlap):
`

// traceConfig is what the trace command line says.
type traceConfig struct {
	opts   tracecore.Options
	output string
	format string // svg, datauri or json
	inputs []string
}

// presets are named starting points for the options; flags given with a
// preset change it, wherever they stand on the command line.
var presets = map[string]func() tracecore.Options{
	"potrace":     tracecore.DefaultOptions,
	"placeholder": tracecore.PlaceholderOptions,
}

// formats and the extension of the file each writes beside an input.
var formats = map[string]string{"svg": ".svg", "datauri": ".txt", "json": ".json"}

// A traceFlag is one flag of the trace command.
type traceFlag struct {
	short byte   // 0 when the flag has only a long form
	long  string // without the leading dashes
	arg   string // the argument's name; "" for a switch
	help  string
	set   func(c *traceConfig, v string) error
}

var traceFlags = []traceFlag{
	{'t', "turdsize", "N", "drop paths enclosing N pixels or fewer (default 2)", func(c *traceConfig, v string) error {
		return parseInt(v, &c.opts.TurdSize)
	}},
	{'z', "turnpolicy", "POLICY", "black, white, left, right, minority, majority or random (default minority)", func(c *traceConfig, v string) error {
		c.opts.TurnPolicy = tracecore.TurnPolicy(strings.ToLower(v))
		return nil
	}},
	{'a', "alphamax", "A", "corner threshold; 0 gives polygons (default 1)", func(c *traceConfig, v string) error {
		return parseFloat(v, &c.opts.AlphaMax)
	}},
	{'n', "longcurve", "", "turn curve optimisation off", func(c *traceConfig, _ string) error {
		c.opts.OptiCurve = false
		return nil
	}},
	{'O', "opttolerance", "T", "curve optimisation tolerance in pixels (default 0.2)", func(c *traceConfig, v string) error {
		return parseFloat(v, &c.opts.OptTolerance)
	}},
	{'k', "blacklevel", "K", "luminance threshold in [0, 1], or auto (Otsu) (default 0.5)", func(c *traceConfig, v string) error {
		return c.opts.Threshold.Set(v) // a number in [0, 1] or "auto"
	}},
	{0, "threshold", "K", "the same as --blacklevel", func(c *traceConfig, v string) error {
		return c.opts.Threshold.Set(v)
	}},
	{'i', "invert", "", "swap black and white", func(c *traceConfig, _ string) error {
		c.opts.Invert = true
		return nil
	}},
	{'C', "color", "#RRGGBB", "fill colour, or auto for the image's dominant colour (default #000000)", func(c *traceConfig, v string) error {
		c.opts.Color = v
		return nil
	}},
	{0, "max-side", "N", "downscale so the longer side is at most N pixels before tracing; 0 = full size", func(c *traceConfig, v string) error {
		return parseInt(v, &c.opts.MaxSide)
	}},
	{0, "background", "#RRGGBB", "composite transparent images onto this colour instead of tracing their shape", func(c *traceConfig, v string) error {
		c.opts.Background = v
		return nil
	}},
	{0, "preset", "NAME", "potrace (the default) or placeholder", func(c *traceConfig, v string) error {
		if _, ok := presets[v]; !ok {
			return fmt.Errorf("preset %q is not potrace or placeholder", v)
		}
		return nil // applied before the other flags, in parseTraceArgs
	}},
	{0, "format", "FORMAT", "svg (default), datauri or json (sizes, timings and both)", func(c *traceConfig, v string) error {
		if _, ok := formats[v]; !ok {
			return fmt.Errorf("format %q is not svg, datauri or json", v)
		}
		c.format = v
		return nil
	}},
	{0, "steps", "N", "posterize: N stacked tone layers, 2 to 8 (default 1: one layer)", func(c *traceConfig, v string) error {
		return parseInt(v, &c.opts.Steps)
	}},
	{0, "fill-strategy", "S", "posterize layer tones: dominant (default), mean, median or spread", func(c *traceConfig, v string) error {
		c.opts.FillStrategy = v
		return nil
	}},
	{0, "thresholds", "T1,T2,...", "posterize thresholds in (0, 1), ascending, one per step (default automatic)", func(c *traceConfig, v string) error {
		c.opts.Thresholds = c.opts.Thresholds[:0]
		for _, f := range strings.Split(v, ",") {
			var t float64
			if err := parseFloat(strings.TrimSpace(f), &t); err != nil {
				return err
			}
			c.opts.Thresholds = append(c.opts.Thresholds, t)
		}
		return nil
	}},
	{0, "precision", "N", "decimal places of coordinates, 0 to 6 (default 1)", func(c *traceConfig, v string) error {
		return parseInt(v, &c.opts.Precision)
	}},
	{0, "max-pixels", "N", "refuse inputs of more than N pixels (default 50000000)", func(c *traceConfig, v string) error {
		return parseInt64(v, &c.opts.MaxPixels)
	}},
	{'o', "output", "FILE", "write the SVG to FILE (one input only)", func(c *traceConfig, v string) error {
		c.output = v
		return nil
	}},
	{'s', "svg", "", "SVG output (the only backend; accepted for potrace compatibility)", func(*traceConfig, string) error {
		return nil
	}},
	{'b', "backend", "NAME", "output backend: only svg (accepted for potrace compatibility)", func(c *traceConfig, v string) error {
		if v != "svg" {
			return fmt.Errorf("backend %q is not supported: only svg", v)
		}
		return nil
	}},
}

func init() {
	var b strings.Builder
	b.WriteString(traceUsage)
	for _, f := range traceFlags {
		name := "    --" + f.long
		if f.short != 0 {
			name = "-" + string(f.short) + ", --" + f.long
		}
		if f.arg != "" {
			name += " " + f.arg
		}
		fmt.Fprintf(&b, "  %-28s %s\n", name, f.help)
	}
	traceUsageFull = b.String()
}

var traceUsageFull string

func parseInt(v string, dst *int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	*dst = n
	return nil
}

func parseInt64(v string, dst *int64) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	*dst = n
	return nil
}

func parseFloat(v string, dst *float64) error {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	*dst = n
	return nil
}

func lookupFlag(short byte, long string) *traceFlag {
	for i := range traceFlags {
		f := &traceFlags[i]
		if (short != 0 && f.short == short) || (long != "" && f.long == long) {
			return f
		}
	}
	return nil
}

// parseTraceArgs reads flags (anywhere among the files, GNU style: -t 5, -t5,
// --turdsize 5, --turdsize=5, bundled switches -in) and inputs.
func parseTraceArgs(args []string) (*traceConfig, error) {
	c := &traceConfig{opts: tracecore.DefaultOptions(), format: "svg"}
	for i, a := range args {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "--preset=")
		if !ok && a == "--preset" && i+1 < len(args) {
			name, ok = args[i+1], true
		}
		if base, known := presets[name]; ok && known {
			c.opts = base()
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			c.inputs = append(c.inputs, args[i+1:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
			c.inputs = append(c.inputs, a)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			f := lookupFlag(0, name)
			if f == nil {
				return nil, fmt.Errorf("unknown flag --%s", name)
			}
			if f.arg != "" && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("flag --%s needs %s", name, f.arg)
				}
				i++
				val = args[i]
			} else if f.arg == "" && hasVal {
				return nil, fmt.Errorf("flag --%s takes no value", name)
			}
			if err := f.set(c, val); err != nil {
				return nil, fmt.Errorf("--%s: %w", name, err)
			}
		default: // one or more short flags
			for j := 1; j < len(a); j++ {
				f := lookupFlag(a[j], "")
				if f == nil {
					return nil, fmt.Errorf("unknown flag -%c", a[j])
				}
				val := ""
				if f.arg != "" {
					if j+1 < len(a) {
						val = a[j+1:]
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						return nil, fmt.Errorf("flag -%c needs %s", a[j], f.arg)
					}
					j = len(a)
				}
				if err := f.set(c, val); err != nil {
					return nil, fmt.Errorf("-%c: %w", f.short, err)
				}
			}
		}
	}
	if err := c.opts.Validate(); err != nil {
		return nil, err
	}
	if len(c.inputs) == 0 {
		return nil, errors.New("no input files")
	}
	if c.output != "" && len(c.inputs) > 1 {
		return nil, errors.New("-o takes one input; with several, each SVG is written beside its input")
	}
	return c, nil
}

func runTrace(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprint(stdout, traceUsageFull)
			return exitOK
		}
	}
	c, err := parseTraceArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "svgtrace trace: %v\nRun 'svgtrace help trace' for usage.\n", err)
		return exitUsage
	}
	var tracer tracecore.Tracer
	status := exitOK
	for _, in := range c.inputs {
		if err := traceOne(&tracer, c, in, stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "svgtrace: %s: %v\n", displayName(in), err)
			status = exitFail
		}
	}
	return status
}

func displayName(in string) string {
	if in == "-" {
		return "<stdin>"
	}
	return in
}

// traceOne traces one input and writes its SVG where the command line says.
// A failed input writes nothing.
func traceOne(tracer *tracecore.Tracer, c *traceConfig, in string, stdin io.Reader, stdout io.Writer) error {
	var r io.Reader = stdin
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	res, err := traceInput(tracer, r, c.opts)
	if err != nil {
		return err
	}
	out, err := render(res, c.format)
	if err != nil {
		return err
	}
	switch {
	case c.output == "-" || (c.output == "" && (len(c.inputs) == 1 || in == "-")):
		_, err = stdout.Write(out)
		return err
	case c.output != "":
		return writeFileAtomic(c.output, out)
	default:
		return writeFileAtomic(strings.TrimSuffix(in, filepath.Ext(in))+formats[c.format], out)
	}
}

// traceInput reads one image, recognised by its bytes, and traces it. A PBM
// is traced exactly as given, as potrace does (threshold and scaling apply
// only when it is read as an image, for a MaxSide); everything else is
// decoded by imageio and prepared by tracecore.
func traceInput(tracer *tracecore.Tracer, r io.Reader, o tracecore.Options) (*tracecore.Result, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(imageio.SniffLen)
	format, err := imageio.Sniff(head)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if format == imageio.PBM && o.MaxSide == 0 {
		bm, err := tracecore.ReadPBM(br, o.MaxPixels)
		if err != nil {
			return nil, err
		}
		return tracer.Trace(ctx, bm, o)
	}
	img, _, err := imageio.DecodeReduced(br, o.MaxPixels, o.MaxSide)
	if err != nil {
		return nil, err
	}
	return tracer.TraceImage(ctx, img, o)
}

// render writes a trace in the chosen format, each ending with a newline.
func render(res *tracecore.Result, format string) ([]byte, error) {
	switch format {
	case "datauri":
		return append(res.AppendDataURI(nil), '\n'), nil
	case "json":
		data, err := json.MarshalIndent(res.Report(), "", "  ")
		return append(data, '\n'), err
	}
	return append(res.SVG(), '\n'), nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees a half-written SVG. A path that exists
// and is not a regular file (a device such as /dev/null, a named pipe) is
// written in place: renaming over it would replace the device with a file.
func writeFileAtomic(path string, data []byte) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
