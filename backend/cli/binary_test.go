package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

// runBinary runs the built command with args and returns its exit status and
// streams; stderr is a pipe, not a terminal, as in a script.
func runBinary(t *testing.T, bin, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// TestBinary builds the command once and runs it end to end: the exit
// statuses, streams and files of a real process, the way potrace users and
// scripts call it.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "svgtrace")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, "../cmd/svgtrace")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	fruits := filepath.Join(pbmDir, "fruits_400.pbm")

	t.Run("ServiceForwarded", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("the stand-in server is a shell script")
		}
		// A stand-in svgtrace-server beside a copy of the binary: svgtrace
		// serve must become it, with the arguments, standard streams and
		// exit status passed through.
		dir := t.TempDir()
		self := filepath.Join(dir, "svgtrace")
		copyFile(t, bin, self)
		server := "#!/bin/sh\necho \"server $*\"\nread line; echo \"stdin $line\" >&2\nexit 7\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, ServerCommand), []byte(server), 0o755))
		code, stdout, errOut := runBinary(t, self, "hello\n", "serve", "--addr", "127.0.0.1:0")
		assert.Equal(t, 7, code)
		assert.Equal(t, "server serve --addr 127.0.0.1:0\n", stdout)
		assert.Equal(t, "stdin hello\n", errOut)

		// No svgtrace-server beside it or on PATH: a clear failure.
		lonely := filepath.Join(t.TempDir(), "svgtrace")
		copyFile(t, bin, lonely)
		cmd := exec.Command(lonely, "worker")
		cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		assert.Equal(t, exitFail, exit.ExitCode())
		assert.Contains(t, string(out), "svgtrace worker: svgtrace-server runs serve and worker, and is neither beside this svgtrace nor on PATH")
	})

	t.Run("PotraceCommandLine", func(t *testing.T) {
		dir, paths := copyInputs(t, "opencv-logo_400.pbm", "building_400.pbm")
		code, stdout, errOut := runBinary(t, bin, "", "trace", "-s", paths[0], paths[1], "-t", "100")
		require.Equal(t, exitOK, code, errOut)
		assert.Empty(t, stdout)
		for _, p := range paths {
			got := readFixture(t, strings.TrimSuffix(p, ".pbm")+".svg")
			assert.Equal(t, expectSVG(t, p, func(o *tracecore.Options) { o.TurdSize = 100 }), got)
		}
		code, _, errOut = runBinary(t, bin, "", "trace", filepath.Join(dir, "nope.pbm"))
		assert.Equal(t, exitFail, code, "a missing input is a failed input, not a usage error")
		assert.Equal(t, "svgtrace trace: "+filepath.Join(dir, "nope.pbm")+": open "+filepath.Join(dir, "nope.pbm")+": no such file or directory\n", errOut)
	})

	t.Run("ShortLongAndBundledFlags", func(t *testing.T) {
		want := expectSVG(t, fruits, func(o *tracecore.Options) { o.TurdSize, o.OptiCurve, o.Invert, o.AlphaMax = 5, false, true, 0.5 })
		for _, args := range [][]string{
			{"-t", "5", "-n", "-i", "-a", "0.5"},
			{"--turdsize=5", "--longcurve", "--invert", "--alphamax", "0.5"},
			{"-nit5", "-a.5"},
			{"-s", "-ni", "--turdsize", "5", "-a", "0.5", "-j", "1", "-q"},
		} {
			code, stdout, errOut := runBinary(t, bin, "", append([]string{"trace", fruits}, args...)...)
			require.Equal(t, exitOK, code, "%v: %s", args, errOut)
			assert.Equal(t, want, stdout, "%v", args)
			assert.Empty(t, errOut, "one input to standard output prints nothing")
		}
	})

	t.Run("Stdin", func(t *testing.T) {
		code, stdout, errOut := runBinary(t, bin, readFixture(t, fruits), "trace", "-")
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, expectSVG(t, fruits, noChange), stdout)
		assert.Empty(t, errOut)
	})

	t.Run("EveryFormatInAFolder", func(t *testing.T) {
		// imageio's fixtures, each in a folder named by its extension
		// (marks.png and marks.pbm would otherwise both write marks.svg),
		// with the files beside them that are not images (SOURCES.md,
		// make-fixtures.sh) and an animated WebP, which fails.
		entries, err := os.ReadDir(imageioTestdata)
		require.NoError(t, err)
		files := map[string]string{}
		var want []string
		for _, e := range entries {
			name, ext := e.Name(), filepath.Ext(e.Name())
			if !hasImageExt(name) {
				files[name] = readFixture(t, filepath.Join(imageioTestdata, name))
				continue
			}
			files[ext[1:]+"/"+name] = readFixture(t, filepath.Join(imageioTestdata, name))
			if name != "anim.webp" {
				want = append(want, ext[1:]+"/"+strings.TrimSuffix(name, ext)+".svg")
			}
		}
		root := writeTree(t, files)
		out := t.TempDir()
		code, stdout, errOut := runBinary(t, bin, "", "trace", "--preset", "placeholder", "--out-dir", out, root)
		assert.Equal(t, exitFail, code)
		assert.Empty(t, stdout)
		assert.Contains(t, errOut, "svgtrace trace: "+filepath.Join(root, "webp", "anim.webp")+": imageio: webp: animated WebP is not supported\n")
		slices.Sort(want)
		require.Equal(t, want, listTree(t, out))
		exts := map[string]bool{}
		for _, o := range want {
			in := strings.TrimSuffix(o, ".svg") + "." + filepath.Dir(o)
			exts[filepath.Dir(o)] = true
			assert.Equal(t, traceAlone(t, filepath.Join(root, filepath.FromSlash(in)), "--preset", "placeholder"), readFixture(t, filepath.Join(out, filepath.FromSlash(o))), in)
		}
		for _, ext := range []string{"jpg", "png", "gif", "webp", "bmp", "pbm", "pgm", "ppm"} {
			assert.True(t, exts[ext], "no .%s fixture", ext)
		}
		assert.Regexp(t, `\ndone: \d+ traced, 1 failed, `, errOut)
	})

	t.Run("PhotosFolder", func(t *testing.T) {
		out := t.TempDir()
		code, _, errOut := runBinary(t, bin, "", "trace", "-q", "--preset", "placeholder", "--format", "datauri", "--out-dir", out, imagesDir)
		require.Equal(t, exitOK, code, errOut)
		assert.Empty(t, errOut)
		assert.Equal(t, []string{"brushes.txt", "building.txt", "fruits.txt", "opencv-logo.txt", "picos.txt"}, listTree(t, out))
		assert.True(t, strings.HasPrefix(readFixture(t, filepath.Join(out, "picos.txt")), "data:image/svg+xml,"))
	})

	t.Run("TreeWithABadFile", func(t *testing.T) {
		root := photoTree(t)
		out := filepath.Join(t.TempDir(), "out")
		code, _, errOut := runBinary(t, bin, "", "trace", root, "--out-dir", out)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "svgtrace trace: "+filepath.Join(root, "bad.jpg")+": imageio: png: unexpected EOF\n")
		outputs := photoTreeOutputs(".svg")
		for in, o := range outputs {
			assert.Contains(t, errOut, "traced "+filepath.Join(root, filepath.FromSlash(in))+" -> "+filepath.Join(out, filepath.FromSlash(o))+" (")
		}
		assert.Len(t, listTree(t, out), len(outputs))
		assert.NoFileExists(t, filepath.Join(out, "bad.svg"))
		assert.Regexp(t, regexp.MustCompile(`\ndone: \d+ traced, 1 failed, \S+ [KM]?B in, \S+ [KM]?B out, \d+\.\d\d s \(-j \d+\)\n$`), errOut)
	})

	t.Run("JobsGiveIdenticalFiles", func(t *testing.T) {
		root := t.TempDir()
		for _, dir := range []string{pbmDir, imagesDir} {
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), "_400.pbm") || e.Name() == "fruits.jpg" || e.Name() == "opencv-logo.png" {
					require.NoError(t, os.WriteFile(filepath.Join(root, e.Name()), []byte(readFixture(t, filepath.Join(dir, e.Name()))), 0o644))
				}
			}
		}
		for _, format := range []string{"svg", "datauri"} {
			var trees []map[string]string
			for _, jobs := range []string{"1", "4"} {
				out := t.TempDir()
				code, _, errOut := runBinary(t, bin, "", "trace", "--format", format, "-j", jobs, "--out-dir", out, "--max-side", "300", root)
				require.Equal(t, exitOK, code, errOut)
				assert.Contains(t, errOut, "(-j "+jobs+")\n")
				files := map[string]string{}
				for _, f := range listTree(t, out) {
					files[f] = readFixture(t, filepath.Join(out, f))
				}
				require.Len(t, files, 7)
				trees = append(trees, files)
			}
			assert.Equal(t, trees[0], trees[1], "-j 1 and -j 4 write the same bytes")
		}
	})

	t.Run("Collision", func(t *testing.T) {
		root := writeTree(t, map[string]string{"a.png": readFixture(t, filepath.Join(imageioTestdata, "marks.png")), "a.pbm": readFixture(t, filepath.Join(imageioTestdata, "marks.pbm"))})
		code, _, errOut := runBinary(t, bin, "", "trace", root)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "would both write "+filepath.Join(root, "a.svg"))
		assert.Equal(t, []string{"a.pbm", "a.png"}, listTree(t, root), "nothing written")
	})

	t.Run("UsageErrors", func(t *testing.T) {
		for _, args := range [][]string{{"trace"}, {"trace", "--bogus", fruits}, {"trace", fruits, "-o"}, {"trace", "-t", "x", fruits}, {"trace", "-o", "a.svg", fruits, fruits}} {
			code, stdout, errOut := runBinary(t, bin, "", args...)
			assert.Equal(t, exitUsage, code, "%v", args)
			assert.Empty(t, stdout)
			assert.Contains(t, errOut, "Run 'svgtrace help trace' for usage.")
		}
	})

	t.Run("Opaque", func(t *testing.T) {
		ring := writeTree(t, map[string]string{"ring.pbm": ringPBM})
		code, stdout, errOut := runBinary(t, bin, "", "trace", "--opaque", "-C", "#123456", filepath.Join(ring, "ring.pbm"))
		require.Equal(t, exitOK, code, errOut)
		assert.Regexp(t, `^<svg [^>]*><path fill="#123456" d="M[^"]*"/><path fill="#ffffff" d="M[^"]*"/></svg>\n$`, stdout)
	})
}

// copyFile copies an executable.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o755))
}
