package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
)

const traceUsage = `Usage: svgtrace trace [flags] FILE|DIR...

Traces images to SVG: JPEG (EXIF orientation applied), PNG, GIF, WebP, BMP and
netpbm (PBM, PGM, PPM), recognised by their bytes, never by their names.

With one input file and no -o or --out-dir the output goes to standard output
and nothing else is printed, as potrace -s does. With several inputs, or a
folder, each output is written beside its input as NAME.svg (NAME.txt for
--format datauri, NAME.json for --format json), or under --out-dir DIR. A
folder is searched recursively for files named .jpg .jpeg .png .gif .webp
.bmp .pbm .pgm .ppm or .pnm (any case); names starting with "." are skipped,
and links to folders are not followed. --out-dir mirrors each folder's tree
below DIR and puts an input file at DIR/NAME.svg; two inputs that would write
the same output are an error, before anything is traced. FILE "-" is
standard input, written to standard output.

Several inputs are traced in parallel, -j at a time (one per CPU core by
default); the files written are the same whatever -j says. Progress goes to
standard error, one line per file (a progress bar on a terminal) and a
summary at the end; -q prints errors only. A failed input writes nothing and
the others carry on. Exit status: 0 when every input was traced, 1 when any
failed, 2 for a usage error (nothing is traced).

Flags may come before or after the files; "--" ends the flags. The potrace
preset (the default) matches potrace: full size, black fill, threshold 0.5; a
PBM is traced exactly as given. --preset placeholder traces at 400 px with an
automatic threshold and the image's dominant colour.

Flags (potrace's where they overlap):
`

// traceConfig is what the trace command line says.
type traceConfig struct {
	opts   tracecore.Options
	output string // -o: one input's output file, "-" for standard output
	outDir string // --out-dir
	format string // svg, datauri or json
	jobs   int    // -j; 0 means one per CPU core
	quiet  bool
	inputs []string
	// setBy maps an option's JSON name to the flag that set it as the user
	// spelt it, so that an invalid value is reported by its flag.
	setBy map[string]string
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

// optionOf names the tracecore option (its JSON name) each flag sets, where
// that differs from the flag's long name, so Validate's errors, which name
// options, can be reported by flag.
var optionOf = map[string]string{
	"blacklevel":    "threshold",
	"max-side":      "maxside",
	"max-pixels":    "maxpixels",
	"fill-strategy": "fillstrategy",
	"longcurve":     "opticurve",
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
	{0, "opaque", "", "paint enclosed white regions white instead of leaving them transparent", func(c *traceConfig, _ string) error {
		c.opts.Opaque = true
		return nil
	}},
	{0, "fillcolor", "#RRGGBB", "paint enclosed white regions this colour (implies --opaque, as in potrace)", func(c *traceConfig, v string) error {
		c.opts.Opaque, c.opts.FillColor = true, v
		return nil
	}},
	{'o', "output", "FILE", "write the output to FILE (one input file only; - for standard output)", func(c *traceConfig, v string) error {
		if v == "" {
			return errors.New("needs a file name")
		}
		c.output = v
		return nil
	}},
	{0, "out-dir", "DIR", "write outputs under DIR, mirroring the folders given as inputs", func(c *traceConfig, v string) error {
		if v == "" {
			return errors.New("needs a folder name")
		}
		c.outDir = v
		return nil
	}},
	{'j', "jobs", "N", "trace N inputs at once (default: one per CPU core)", func(c *traceConfig, v string) error {
		if err := parseInt(v, &c.jobs); err != nil {
			return err
		}
		if c.jobs < 1 {
			return fmt.Errorf("%q is not a positive number of jobs", v)
		}
		return nil
	}},
	{'q', "quiet", "", "print no progress and no summary; errors still print", func(c *traceConfig, _ string) error {
		c.quiet = true
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
	c := &traceConfig{opts: tracecore.DefaultOptions(), format: "svg", setBy: map[string]string{}}
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
			c.noteFlag(f, "--"+name)
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
				c.noteFlag(f, "-"+string(f.short))
			}
		}
	}
	if err := c.opts.Validate(); err != nil {
		if flag := c.setBy[invalidOption(err)]; flag != "" {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return nil, err
	}
	if len(c.inputs) == 0 {
		return nil, errors.New("no input files")
	}
	if c.output != "" && c.outDir != "" {
		return nil, errors.New("-o and --out-dir cannot be used together")
	}
	if c.output != "" && len(c.inputs) > 1 {
		return nil, errors.New("-o takes one input; with several, use --out-dir or let each output be written beside its input")
	}
	return c, nil
}

// noteFlag records which flag, as spelt, last set an option.
func (c *traceConfig) noteFlag(f *traceFlag, spelt string) {
	option := f.long
	if o, ok := optionOf[f.long]; ok {
		option = o
	}
	c.setBy[option] = spelt
}

// invalidOption returns the option an error of Options.Validate names
// ("tracecore: invalid options: turdsize -1 is outside …"), or "".
func invalidOption(err error) string {
	if !errors.Is(err, tracecore.ErrInvalidOptions) {
		return ""
	}
	_, rest, _ := strings.Cut(err.Error(), tracecore.ErrInvalidOptions.Error()+": ")
	option, _, _ := strings.Cut(rest, " ")
	return option
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
