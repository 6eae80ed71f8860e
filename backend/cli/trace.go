package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
)

const traceUsage = `Usage: svgtrace trace [flags] FILE...

Traces PBM bitmaps (P1 or P4) to SVG. With one input and no -o the SVG goes to
standard output; with several, each is written beside its input as NAME.svg, as
potrace does. FILE "-" is standard input. Flags may come before or after the
files; "--" ends the flags. Without preset flags the trace matches potrace's
defaults: full size, black fill, threshold 0.5.

Flags (potrace's where they overlap):
`

// traceConfig is what the trace command line says.
type traceConfig struct {
	opts   tracecore.Options
	output string
	inputs []string
}

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
	{'k', "blacklevel", "K", "luminance threshold in [0, 1] (default 0.5)", func(c *traceConfig, v string) error {
		return c.opts.Threshold.Set(v) // a number in [0, 1] or "auto"
	}},
	{'i', "invert", "", "swap black and white", func(c *traceConfig, _ string) error {
		c.opts.Invert = true
		return nil
	}},
	{'C', "color", "#RRGGBB", "fill colour (default #000000)", func(c *traceConfig, v string) error {
		c.opts.Color = v
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
	c := &traceConfig{opts: tracecore.DefaultOptions()}
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
	bm, err := readBitmap(r, c.opts.MaxPixels)
	if err != nil {
		return err
	}
	res, err := tracer.Trace(context.Background(), bm, c.opts)
	if err != nil {
		return err
	}
	svg := append(res.SVG(), '\n')
	switch {
	case c.output == "-" || (c.output == "" && (len(c.inputs) == 1 || in == "-")):
		_, err = stdout.Write(svg)
		return err
	case c.output != "":
		return writeFileAtomic(c.output, svg)
	default:
		return writeFileAtomic(strings.TrimSuffix(in, filepath.Ext(in))+".svg", svg)
	}
}

// readBitmap reads a PBM image, recognised by its bytes, not its name.
func readBitmap(r io.Reader, maxPixels int64) (*tracecore.Bitmap, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	if len(head) < 2 || head[0] != 'P' || (head[1] != '1' && head[1] != '4') {
		return nil, fmt.Errorf("%w: not a PBM bitmap (other formats arrive with svgtrace's image input)", tracecore.ErrUnsupported)
	}
	return tracecore.ReadPBM(br, maxPixels)
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
