package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

const pbmDir = "../../tracecore/testdata/pbm"

// run runs the command in-process and returns its status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, Stdio{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, nil)
	return code, stdout.String(), stderr.String()
}

// expectSVG traces a PBM file with tracecore directly, as the command should.
func expectSVG(t *testing.T, path string, set func(*tracecore.Options)) string {
	t.Helper()
	bm := readPBM(t, path)
	o := tracecore.DefaultOptions()
	set(&o)
	res, err := tracecore.Trace(context.Background(), bm, o)
	require.NoError(t, err)
	return string(res.SVG()) + "\n"
}

// copyInputs copies test bitmaps into a temporary folder.
func copyInputs(t *testing.T, names ...string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(pbmDir, n))
		require.NoError(t, err)
		p := filepath.Join(dir, n)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		paths = append(paths, p)
	}
	return dir, paths
}

func TestTrace(t *testing.T) {
	fruits := filepath.Join(pbmDir, "fruits_400.pbm")

	t.Run("OneInputToStdout", func(t *testing.T) {
		code, out, errOut := run(t, "", "trace", fruits)
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, expectSVG(t, fruits, func(*tracecore.Options) {}), out)
		assert.Empty(t, errOut)
	})

	t.Run("PotraceFlagsMapOntoOptions", func(t *testing.T) {
		cases := []struct {
			args []string
			set  func(*tracecore.Options)
		}{
			{[]string{"-t", "5"}, func(o *tracecore.Options) { o.TurdSize = 5 }},
			{[]string{"-t5"}, func(o *tracecore.Options) { o.TurdSize = 5 }},
			{[]string{"--turdsize=5"}, func(o *tracecore.Options) { o.TurdSize = 5 }},
			{[]string{"--turdsize", "5"}, func(o *tracecore.Options) { o.TurdSize = 5 }},
			{[]string{"-a", "0", "-n"}, func(o *tracecore.Options) { o.AlphaMax, o.OptiCurve = 0, false }},
			{[]string{"-z", "black"}, func(o *tracecore.Options) { o.TurnPolicy = tracecore.TurnBlack }},
			{[]string{"--turnpolicy=Majority"}, func(o *tracecore.Options) { o.TurnPolicy = tracecore.TurnMajority }},
			{[]string{"-O", "0.5"}, func(o *tracecore.Options) { o.OptTolerance = 0.5 }},
			{[]string{"-ni"}, func(o *tracecore.Options) { o.OptiCurve, o.Invert = false, true }},
			{[]string{"-i"}, func(o *tracecore.Options) { o.Invert = true }},
			{[]string{"-C", "#FF0000", "--precision", "2"}, func(o *tracecore.Options) { o.Color, o.Precision = "#ff0000", 2 }},
			{[]string{"-s", "-b", "svg", "-k", "0.3"}, func(o *tracecore.Options) { o.Threshold = 0.3 }},
		}
		for _, c := range cases {
			t.Run(strings.Join(c.args, " "), func(t *testing.T) {
				want := expectSVG(t, fruits, c.set)
				// Flags before the file and after it mean the same.
				for _, args := range [][]string{append(append([]string{"trace"}, c.args...), fruits), append([]string{"trace", fruits}, c.args...)} {
					code, out, errOut := run(t, "", args...)
					require.Equal(t, exitOK, code, errOut)
					assert.Equal(t, want, out)
				}
			})
		}
	})

	t.Run("OutputFile", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "x.svg")
		code, stdout, errOut := run(t, "", "trace", "-o", out, fruits)
		require.Equal(t, exitOK, code, errOut)
		assert.Empty(t, stdout)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, expectSVG(t, fruits, func(*tracecore.Options) {}), string(got))
	})

	t.Run("OutputDeviceWrittenInPlace", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no /dev/null")
		}
		code, _, errOut := run(t, "", "trace", "-o", os.DevNull, fruits)
		require.Equal(t, exitOK, code, errOut)
		fi, err := os.Stat(os.DevNull)
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&os.ModeCharDevice, "-o /dev/null must not replace the device with a file")
	})

	t.Run("SeveralInputsBesideEach", func(t *testing.T) {
		dir, paths := copyInputs(t, "fruits_400.pbm", "picos_400.pbm")
		code, stdout, errOut := run(t, "", append([]string{"trace", "-t", "10"}, paths...)...)
		require.Equal(t, exitOK, code, errOut)
		assert.Empty(t, stdout)
		for _, p := range paths {
			got, err := os.ReadFile(strings.TrimSuffix(p, ".pbm") + ".svg")
			require.NoError(t, err)
			assert.Equal(t, expectSVG(t, p, func(o *tracecore.Options) { o.TurdSize = 10 }), string(got))
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 4, "no temporary files are left behind")
	})

	t.Run("Stdin", func(t *testing.T) {
		data, err := os.ReadFile(fruits)
		require.NoError(t, err)
		code, out, errOut := run(t, string(data), "trace", "-")
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, expectSVG(t, fruits, func(*tracecore.Options) {}), out)
	})

	t.Run("BadFileReportedOthersWritten", func(t *testing.T) {
		dir, paths := copyInputs(t, "fruits_400.pbm")
		notPBM := filepath.Join(dir, "photo.pbm")
		require.NoError(t, os.WriteFile(notPBM, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644))
		truncated := filepath.Join(dir, "short.pbm")
		require.NoError(t, os.WriteFile(truncated, []byte("P4\n64 64\n\x00\x00"), 0o644))
		missing := filepath.Join(dir, "missing.pbm")
		text := filepath.Join(dir, "notes.png")
		require.NoError(t, os.WriteFile(text, []byte("just some text, not an image\n"), 0o644))
		code, _, errOut := run(t, "", "trace", notPBM, paths[0], truncated, missing, text)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, notPBM+": imageio: png: unexpected EOF", "the bytes say PNG, whatever the name says")
		assert.Contains(t, errOut, text+`: imageio: unsupported format: bytes start "just som"`)
		assert.Contains(t, errOut, truncated+": tracecore: corrupt image: pbm: raster ends in row 0 of 64")
		assert.Contains(t, errOut, missing+": open")
		assert.FileExists(t, strings.TrimSuffix(paths[0], ".pbm")+".svg")
		for _, p := range []string{notPBM, truncated, missing, text} {
			assert.NoFileExists(t, strings.TrimSuffix(p, ".pbm")+".svg", "a failed input writes nothing")
		}
	})

	t.Run("EveryFormat", func(t *testing.T) {
		dir := "../../tracecore/imageio/testdata"
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if ext == ".md" || ext == ".sh" || e.IsDir() {
				continue
			}
			if e.Name() == "anim.webp" {
				code, _, errOut := run(t, "", "trace", filepath.Join(dir, e.Name()))
				assert.Equal(t, exitFail, code)
				assert.Contains(t, errOut, "animated WebP is not supported")
				continue
			}
			seen[ext] = true
			code, out, errOut := run(t, "", "trace", "--preset", "placeholder", filepath.Join(dir, e.Name()))
			require.Equal(t, exitOK, code, "%s: %s", e.Name(), errOut)
			require.True(t, strings.HasPrefix(out, "<svg "), e.Name())
		}
		for _, ext := range []string{".jpg", ".png", ".gif", ".webp", ".bmp", ".pgm", ".ppm"} {
			assert.True(t, seen[ext], "no %s fixture traced", ext)
		}
	})

	t.Run("PlaceholderPhoto", func(t *testing.T) {
		photo := "../../tracecore/testdata/images/fruits.jpg" // 512×480
		code, out, errOut := run(t, "", "trace", photo, "--preset", "placeholder", "--format", "json")
		require.Equal(t, exitOK, code, errOut)
		var rep tracecore.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		assert.Equal(t, []int{512, 480, 400, 375}, []int{rep.Width, rep.Height, rep.TraceWidth, rep.TraceHeight})
		assert.Contains(t, rep.SVG, `width="512" height="480" viewBox="0 0 400 375"`)
		assert.NotEqual(t, "#000000", rep.Color, "the dominant colour of a photo of fruit is not black")
		assert.NotEqual(t, tracecore.ThresholdAuto, rep.Threshold, "the threshold applied is reported")
		assert.Equal(t, len(rep.DataURI), rep.DataURIBytes)

		// A flag given with the preset changes it, before or after it.
		for _, args := range [][]string{
			{"trace", "-C", "#ff0000", "--preset=placeholder", photo},
			{"trace", "--preset", "placeholder", photo, "-C", "#ff0000"},
		} {
			code, out, errOut = run(t, "", args...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, `fill="#ff0000"`)
			assert.Contains(t, out, `viewBox="0 0 400 375"`)
		}

		code, out, errOut = run(t, "", "trace", photo, "--max-side", "100", "-k", "auto", "--format", "datauri")
		require.Equal(t, exitOK, code, errOut)
		assert.True(t, strings.HasPrefix(out, "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20width='512'%20height='480'%20viewBox='0%200%20100%2094'"), out[:120])

		// At 1/8 of its size or less a JPEG is decoded at 1/8 scale (64×60
		// blocks here), and still traced as the 512×480 image it is.
		code, out, errOut = run(t, "", "trace", photo, "--preset", "placeholder", "--max-side", "64")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, `width="512" height="480" viewBox="0 0 64 60"`)
		assert.Contains(t, out, "<path ")
	})

	t.Run("Posterize", func(t *testing.T) {
		photo := "../../tracecore/testdata/images/fruits.jpg"
		code, out, errOut := run(t, "", "trace", photo, "--max-side", "200", "--steps", "4", "--fill-strategy", "mean")
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, 4, strings.Count(out, "<path "), "one path per layer")
		code, out, errOut = run(t, "", "trace", photo, "--max-side", "200", "--steps", "2", "--thresholds", "0.3,0.6")
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, 2, strings.Count(out, "<path "))
		code, _, errOut = run(t, "", "trace", photo, "--steps", "9")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "steps")
	})

	t.Run("FormatsBesideInputs", func(t *testing.T) {
		_, paths := copyInputs(t, "fruits_400.pbm", "picos_400.pbm")
		code, _, errOut := run(t, "", append([]string{"trace", "--format", "json"}, paths...)...)
		require.Equal(t, exitOK, code, errOut)
		for _, p := range paths {
			data, err := os.ReadFile(strings.TrimSuffix(p, ".pbm") + ".json")
			require.NoError(t, err)
			var rep tracecore.Report
			require.NoError(t, json.Unmarshal(data, &rep))
			assert.Equal(t, expectSVG(t, p, func(*tracecore.Options) {}), rep.SVG+"\n")
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		code, _, errOut := run(t, "P4\n50000 50000\n", "trace", "-")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "<stdin>: pbm: tracecore: image too large: 50000×50000 pixels is over the limit of 50000000")
		code, _, errOut = run(t, "", "trace", "--max-pixels", "1000", fruits)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "image too large")
	})

	t.Run("UsageErrors", func(t *testing.T) {
		cases := map[string][]string{
			"unknown flag -x":                  {"trace", "-x", fruits},
			"unknown flag --bogus":             {"trace", "--bogus", fruits},
			"no input files":                   {"trace"},
			"flag -t needs N":                  {"trace", fruits, "-t"},
			`-t: "many" is not an integer`:     {"trace", "-t", "many", fruits},
			"-o takes one input":               {"trace", "-o", "x.svg", fruits, fruits},
			"turnpolicy \"sideways\" is not":   {"trace", "-z", "sideways", fruits},
			"alphamax -1 is outside":           {"trace", "-a", "-1", fruits},
			"--longcurve takes no value":       {"trace", "--longcurve=1", fruits},
			"backend \"pdf\" is not supported": {"trace", "-b", "pdf", fruits},
			"preset \"tiny\" is not":           {"trace", "--preset", "tiny", fruits},
			"format \"png\" is not":            {"trace", "--format", "png", fruits},
			"--max-side: tracecore: invalid options: maxside -1 is negative":               {"trace", "--max-side", "-1", fruits},
			"-k: tracecore: invalid options: threshold":                                    {"trace", "-k", "2", fruits},
			"--fill-strategy: tracecore: invalid options: fillstrategy":                    {"trace", "--fill-strategy", "loud", "--steps", "3", fruits},
			"-o and --out-dir cannot be used together":                                     {"trace", "-o", "x.svg", "--out-dir", "out", fruits},
			"-o takes one input file, and " + pbmDir + " is a folder":                      {"trace", "-o", "x.svg", pbmDir},
			"flag --out-dir needs DIR":                                                     {"trace", fruits, "--out-dir"},
			"--out-dir: needs a folder name":                                               {"trace", "--out-dir=", fruits},
			`-j: "0" is not a positive number of jobs`:                                     {"trace", "-j", "0", fruits},
			`--jobs: "two" is not an integer`:                                              {"trace", "--jobs=two", fruits},
			"flag -j needs N":                                                              {"trace", fruits, "-qj"},
			"--opaque takes no value":                                                      {"trace", "--opaque=yes", fruits},
			"--opaque: tracecore: invalid options: opaque cannot be combined with steps 3": {"trace", "--opaque", "--steps", "3", fruits},
			"standard input (-) is given more than once":                                   {"trace", "-", "-"},
		}
		for want, args := range cases {
			code, out, errOut := run(t, "", args...)
			assert.Equal(t, exitUsage, code, "%v", args)
			assert.Empty(t, out)
			assert.Contains(t, errOut, want, "%v", args)
			assert.True(t, strings.HasSuffix(errOut, "\nRun 'svgtrace help trace' for usage.\n") && strings.Count(errOut, "\n") == 2, "short: %q", errOut)
		}
	})

	t.Run("HelpAndVersion", func(t *testing.T) {
		code, out, _ := run(t, "", "help", "trace")
		assert.Equal(t, exitOK, code)
		for _, f := range []string{"--turdsize", "--turnpolicy", "--alphamax", "--longcurve", "--opttolerance", "--blacklevel", "--invert", "--output"} {
			assert.Contains(t, out, f)
		}
		for _, f := range traceFlags {
			name := "--" + f.long
			if f.short != 0 {
				name = "-" + string(f.short) + ", " + name
			}
			assert.Contains(t, out, "  "+name, "every flag of the table is listed")
		}
		for _, s := range []string{"FILE|DIR", "folder", "--out-dir DIR", "-j", "-q", "Exit status"} {
			assert.Contains(t, out, s)
		}
		for _, args := range [][]string{{"trace", "-h"}, {"trace", fruits, "--help"}} {
			code, help, _ := run(t, "", args...)
			assert.Equal(t, exitOK, code)
			assert.Equal(t, out, help)
		}
		code, out, _ = run(t, "", "help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "svgtrace trace [flags] FILE|DIR...")
		code, out, _ = run(t, "", "version")
		assert.Equal(t, exitOK, code)
		assert.True(t, strings.HasPrefix(out, "svgtrace "), out)
		code, _, errOut := run(t, "", "frobnicate")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, `unknown command "frobnicate"`)
	})
}
