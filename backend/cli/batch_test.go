package cli

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

const (
	imageioTestdata = "../../tracecore/imageio/testdata"
	imagesDir       = "../../tracecore/testdata/images"
)

// readFixture returns the bytes of a test file.
func readFixture(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// badPNG is a file whose bytes say PNG and then stop.
const badPNG = "\x89PNG\r\n\x1a\nnot really"

// writeTree writes files (slash-separated path below the folder → content)
// into a new temporary folder and returns the folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return root
}

// listTree returns the slash-separated paths of the files below root, sorted.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(root, path)
			require.NoError(t, err)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(files)
	return files
}

// runEnv runs the command in-process with stderr taken for a terminal or
// not.
func runEnv(t *testing.T, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		isTerminal: func(io.Writer) bool { return terminal }}
	code := e.main(args)
	return code, stdout.String(), stderr.String()
}

// traceAlone returns what the command writes to standard output for one
// input file with flags: what a folder run must write for that file.
func traceAlone(t *testing.T, file string, flags ...string) string {
	t.Helper()
	code, out, errOut := run(t, "", append(append([]string{"trace"}, flags...), file)...)
	require.Equal(t, exitOK, code, errOut)
	require.NotEmpty(t, out)
	return out
}

// photoTree is a folder of inputs: images of several formats in nested
// folders, with files that are not images, hidden ones, a link to a folder
// above (a loop if followed) and one broken image.
func photoTree(t *testing.T) string {
	t.Helper()
	root := writeTree(t, map[string]string{
		"a.pbm":               readFixture(t, filepath.Join(pbmDir, "fruits_400.pbm")),
		"bad.jpg":             badPNG,
		"sub/b.PNG":           readFixture(t, filepath.Join(imageioTestdata, "marks.png")),
		"sub/notes.txt":       "not an image\n",
		"sub/old.png.bak":     readFixture(t, filepath.Join(imageioTestdata, "marks.png")),
		"sub/noext":           readFixture(t, filepath.Join(imageioTestdata, "marks.png")),
		"sub/.e.pbm":          readFixture(t, filepath.Join(imageioTestdata, "marks.pbm")),
		"sub/deep/c.jpg":      readFixture(t, filepath.Join(imagesDir, "fruits.jpg")),
		"sub/deep/d.webp":     readFixture(t, filepath.Join(imageioTestdata, "marks.webp")),
		".hidden/f.pbm":       readFixture(t, filepath.Join(imageioTestdata, "marks.pbm")),
		"sub/deep/README.md":  "# not an image\n",
		"sub/deep/g.Jpeg.svg": "<svg/>", // an output of an earlier run
	})
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Symlink("..", filepath.Join(root, "sub", "loop")))
		require.NoError(t, os.Symlink(filepath.Join("..", "a.pbm"), filepath.Join(root, "sub", "link.pbm")))
	}
	return root
}

// photoTreeOutputs are the outputs of photoTree's images (the bad one
// excepted) with extension ext, by the input they come from.
func photoTreeOutputs(ext string) map[string]string {
	m := map[string]string{
		"a.pbm":           "a" + ext,
		"sub/b.PNG":       "sub/b" + ext,
		"sub/deep/c.jpg":  "sub/deep/c" + ext,
		"sub/deep/d.webp": "sub/deep/d" + ext,
	}
	if runtime.GOOS != "windows" {
		m["sub/link.pbm"] = "sub/link" + ext
	}
	return m
}

func TestFolders(t *testing.T) {
	t.Run("OutDirMirrorsTheTree", func(t *testing.T) {
		root := photoTree(t)
		out := filepath.Join(t.TempDir(), "out", "svg") // created as needed
		for _, jobs := range []string{"1", "3"} {
			require.NoError(t, os.RemoveAll(out))
			code, stdout, errOut := run(t, "", "trace", "-j", jobs, "--out-dir", out, root)
			assert.Equal(t, exitFail, code, "the bad file fails the run")
			assert.Empty(t, stdout)
			assert.Contains(t, errOut, "svgtrace trace: "+filepath.Join(root, "bad.jpg")+": imageio: png: unexpected EOF\n")
			want := photoTreeOutputs(".svg")
			var wantFiles []string
			for in, o := range want {
				wantFiles = append(wantFiles, o)
				got := readFixture(t, filepath.Join(out, filepath.FromSlash(o)))
				assert.Equal(t, traceAlone(t, filepath.Join(root, filepath.FromSlash(in))), got, "%s traced in a folder as alone", in)
			}
			slices.Sort(wantFiles)
			assert.Equal(t, wantFiles, listTree(t, out), "no output for the bad file, hidden files, non-images or temporaries")
		}
	})

	t.Run("BesideTheInputs", func(t *testing.T) {
		root := photoTree(t)
		before := listTree(t, root)
		code, _, _ := run(t, "", "trace", "-q", root)
		assert.Equal(t, exitFail, code)
		var wantNew []string
		for _, o := range photoTreeOutputs(".svg") {
			wantNew = append(wantNew, o)
		}
		after := listTree(t, root)
		assert.ElementsMatch(t, wantNew, slices.DeleteFunc(after, func(f string) bool { return slices.Contains(before, f) }))
		// A second run finds no new inputs among the outputs of the first.
		code, _, errOut := run(t, "", "trace", root)
		assert.Equal(t, exitFail, code)
		assert.Equal(t, 1, strings.Count(errOut, "svgtrace trace: "), errOut)
		assert.Contains(t, errOut, "done: "+strconv.Itoa(len(photoTreeOutputs("")))+" traced, 1 failed")
	})

	t.Run("Formats", func(t *testing.T) {
		root := writeTree(t, map[string]string{
			"x/a.pbm": readFixture(t, filepath.Join(pbmDir, "picos_400.pbm")),
			"b.png":   readFixture(t, filepath.Join(imageioTestdata, "marks.png")),
		})
		for format, ext := range formats {
			out := t.TempDir()
			code, _, errOut := run(t, "", "trace", "--format", format, "--out-dir", out, filepath.Join(root, "x"), filepath.Join(root, "b.png"))
			require.Equal(t, exitOK, code, errOut)
			assert.Equal(t, []string{"a" + ext, "b" + ext}, listTree(t, out), "a folder's files go below DIR as its tree; a file to DIR/its name")
			if format != "json" { // a report holds timings
				assert.Equal(t, traceAlone(t, filepath.Join(root, "b.png"), "--format", format), readFixture(t, filepath.Join(out, "b"+ext)))
			}
		}
	})

	t.Run("StdinAmongFiles", func(t *testing.T) {
		_, paths := copyInputs(t, "fruits_400.pbm")
		data := readFixture(t, filepath.Join(pbmDir, "picos_400.pbm"))
		code, stdout, errOut := run(t, data, "trace", "-", paths[0])
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, expectSVG(t, filepath.Join(pbmDir, "picos_400.pbm"), noChange), stdout, "standard input to standard output")
		assert.FileExists(t, strings.TrimSuffix(paths[0], ".pbm")+".svg")
		assert.Contains(t, errOut, "traced <stdin> -> <stdout> (")
	})

	t.Run("FolderWithoutImages", func(t *testing.T) {
		root := writeTree(t, map[string]string{"notes.txt": "x", ".hidden.png": "x"})
		code, stdout, errOut := run(t, "", "trace", root)
		assert.Equal(t, exitOK, code, "nothing to trace is not a failure")
		assert.Empty(t, stdout)
		assert.Regexp(t, `^done: 0 traced, 0 failed, 0 B in, 0 B out, `, errOut)
	})

	t.Run("SameFileTwiceIsTracedOnce", func(t *testing.T) {
		dir, paths := copyInputs(t, "fruits_400.pbm")
		code, _, errOut := run(t, "", "trace", paths[0], dir, filepath.Join(dir, ".", "fruits_400.pbm"))
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, 1, strings.Count(errOut, "traced "), errOut)
	})

	t.Run("Collisions", func(t *testing.T) {
		png := readFixture(t, filepath.Join(imageioTestdata, "marks.png"))
		root := writeTree(t, map[string]string{
			"p/a.png": png, "p/a.pbm": readFixture(t, filepath.Join(imageioTestdata, "marks.pbm")),
			"q/a.png": png, "r/s/b.png": png, "t/b.png": png, "u/x.svg": png, "w/a.png": png, "w/a.svg": png,
		})
		out := filepath.Join(root, "out")
		in := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
		cases := []struct {
			name string
			args []string
			want string
		}{
			{"SameNameInOneFolder", []string{"--out-dir", out, in("p")}, in("p/a.pbm") + " and " + in("p/a.png") + " would both write " + filepath.Join(out, "a.svg")},
			{"SameNameBeside", []string{in("p/a.png"), in("p/a.pbm")}, "would both write " + in("p/a.svg")},
			{"SameBaseNameFromTwoFolders", []string{"--out-dir", out, in("p/a.png"), in("q/a.png")}, "would both write " + filepath.Join(out, "a.svg")},
			{"FolderTreeAndFile", []string{"--out-dir", out, in("r"), in("t/b.png")}, ""},
			{"FileAndFolderTree", []string{"--out-dir", out, in("r/s"), in("t")}, "would both write " + filepath.Join(out, "b.svg")},
			{"OutputIsAnInput", []string{in("u/x.svg"), in("q/a.png")}, "the output of " + in("u/x.svg") + " would overwrite the input"},
			{"OutputIsAnotherInput", []string{in("w/a.png"), in("w/a.svg")}, "the output of " + in("w/a.png") + " would overwrite the input " + in("w/a.svg")},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := listTree(t, root)
				code, _, errOut := run(t, "", append([]string{"trace", "-q"}, c.args...)...)
				if c.want == "" {
					assert.NotEqual(t, exitUsage, code, errOut)
					return
				}
				assert.Equal(t, exitUsage, code)
				assert.Contains(t, errOut, c.want)
				assert.Equal(t, before, listTree(t, root), "nothing is traced or written")
			})
		}
	})

	t.Run("Unreadable", func(t *testing.T) {
		if runtime.GOOS == "windows" || os.Geteuid() == 0 {
			t.Skip("needs a folder its owner cannot read")
		}
		root := writeTree(t, map[string]string{"a.pbm": readFixture(t, filepath.Join(imageioTestdata, "marks.pbm")), "locked/b.pbm": "P1\n1 1\n1\n"})
		locked := filepath.Join(root, "locked")
		require.NoError(t, os.Chmod(locked, 0))
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
		code, _, errOut := run(t, "", "trace", root)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "svgtrace trace: "+locked+": open "+locked+": permission denied")
		assert.FileExists(t, filepath.Join(root, "a.svg"))
	})
}

func noChange(*tracecore.Options) {}

func TestProgress(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.pbm":     readFixture(t, filepath.Join(pbmDir, "fruits_400.pbm")),
		"b/c.pbm":   readFixture(t, filepath.Join(pbmDir, "picos_400.pbm")),
		"b/d.png":   readFixture(t, filepath.Join(imageioTestdata, "marks.png")),
		"b/bad.gif": "GIF89a",
	})
	lineRE := regexp.MustCompile(`^traced (\S+) -> (\S+) \((\d+ B|\d+\.\d KB), \d+(\.\d)? ms\)$`)
	summaryRE := regexp.MustCompile(`^done: 3 traced, 1 failed, (\S+ [KM]?B) in, (\S+ [KM]?B) out, \d+\.\d\d s \(-j 2\)$`)

	t.Run("Lines", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, errOut := runEnv(t, false, "trace", "--out-dir", out, "-j", "2", root)
		assert.Equal(t, exitFail, code)
		assert.Empty(t, stdout)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		require.Len(t, lines, 5, errOut)
		var traced []string
		var bytesIn, bytesOut int64
		for _, l := range lines[:4] {
			if strings.HasPrefix(l, "svgtrace trace: ") {
				assert.Equal(t, "svgtrace trace: "+filepath.Join(root, "b", "bad.gif")+": imageio: gif: reading header: unexpected EOF", l)
				continue
			}
			m := lineRE.FindStringSubmatch(l)
			require.NotNil(t, m, "%q", l)
			traced = append(traced, m[1])
			fi, err := os.Stat(m[2])
			require.NoError(t, err)
			assert.Equal(t, formatBytes(fi.Size()), m[3])
			bytesOut += fi.Size()
			fi, err = os.Stat(m[1])
			require.NoError(t, err)
			bytesIn += fi.Size()
		}
		assert.ElementsMatch(t, []string{filepath.Join(root, "a.pbm"), filepath.Join(root, "b", "c.pbm"), filepath.Join(root, "b", "d.png")}, traced)
		m := summaryRE.FindStringSubmatch(lines[4])
		require.NotNil(t, m, "%q", lines[4])
		assert.Equal(t, []string{formatBytes(bytesIn), formatBytes(bytesOut)}, m[1:])
	})

	t.Run("Quiet", func(t *testing.T) {
		for _, terminal := range []bool{false, true} {
			code, _, errOut := runEnv(t, terminal, "trace", "--quiet", "--out-dir", t.TempDir(), root)
			assert.Equal(t, exitFail, code)
			assert.Equal(t, "svgtrace trace: "+filepath.Join(root, "b", "bad.gif")+": imageio: gif: reading header: unexpected EOF\n", errOut, "errors only")
		}
		code, _, errOut := runEnv(t, false, "trace", "-q", "-o", filepath.Join(t.TempDir(), "a.svg"), filepath.Join(root, "a.pbm"))
		assert.Equal(t, exitOK, code)
		assert.Empty(t, errOut)
	})

	t.Run("Bar", func(t *testing.T) {
		code, _, errOut := runEnv(t, true, "trace", "-j", "2", "--out-dir", t.TempDir(), root)
		assert.Equal(t, exitFail, code)
		assert.NotContains(t, errOut, "traced ", "no per-file lines on a terminal")
		assert.Contains(t, errOut, "\r[........................] 0/4 files, 0 failed, ")
		assert.Contains(t, errOut, "\r[########################] 4/4 files, 1 failed, ")
		// The failure replaces the bar on its line, which is drawn again
		// below it; the summary replaces the bar at the end.
		assert.Regexp(t, `\r +\rsvgtrace trace: \S+bad.gif: imageio: gif: reading header: unexpected EOF\n\r\[`, errOut)
		assert.Regexp(t, `\r +\rdone: 3 traced, 1 failed, .*\(-j 2\)\n$`, errOut)
	})

	t.Run("OneInput", func(t *testing.T) {
		// To standard output: nothing on success, as potrace.
		code, stdout, errOut := runEnv(t, true, "trace", filepath.Join(root, "a.pbm"))
		assert.Equal(t, exitOK, code)
		assert.NotEmpty(t, stdout)
		assert.Empty(t, errOut)
		// To a file: its line, and no summary; the same on a terminal.
		for _, terminal := range []bool{false, true} {
			o := filepath.Join(t.TempDir(), "a.svg")
			code, _, errOut = runEnv(t, terminal, "trace", "-o", o, filepath.Join(root, "a.pbm"))
			assert.Equal(t, exitOK, code)
			assert.Regexp(t, `^traced \S+a.pbm -> `+regexp.QuoteMeta(o)+` \([^)]+\)\n$`, errOut)
		}
	})
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KB"}, {12595, "12.3 KB"}, {5 << 20, "5.0 MB"}} {
		assert.Equal(t, c.want, formatBytes(c.n))
	}
	for _, c := range []struct {
		d    string
		want string
	}{{"400us", "0.4 ms"}, {"41ms", "41 ms"}, {"9.99s", "9990 ms"}, {"12s", "12.0 s"}} {
		d, err := time.ParseDuration(c.d)
		require.NoError(t, err)
		assert.Equal(t, c.want, formatDuration(d))
	}
}
