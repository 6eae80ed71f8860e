package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanJobs checks where each input's output goes, with paths relative to
// a temporary folder holding a small tree.
func TestPlanJobs(t *testing.T) {
	root := writeTree(t, map[string]string{
		"one.jpg": "x", "dir/a.png": "x", "dir/s/b.GIF": "x", "dir/s/c.txt": "x",
		"dir/.h/d.png": "x", "dir/.e.png": "x", "other/one.bmp": "x",
	})
	t.Chdir(root)
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Symlink("s", filepath.Join("dir", "s-link")))    // a folder link: not followed
		require.NoError(t, os.Symlink("a.png", filepath.Join("dir", "l.png"))) // a file link: traced
		require.NoError(t, os.Symlink("dir", "dir-link"))                      // named on the command line: searched
	}
	p := filepath.FromSlash
	cases := []struct {
		name  string
		args  []string
		jobs  [][2]string // input, output ("" for standard output)
		batch bool
	}{
		{"OneFileToStdout", []string{"one.jpg"}, [][2]string{{"one.jpg", ""}}, false},
		{"OneMissingFileToStdout", []string{"nope.png"}, [][2]string{{"nope.png", ""}}, false},
		{"OneFileToOutput", []string{"-o", "x.svg", "one.jpg"}, [][2]string{{"one.jpg", "x.svg"}}, false},
		{"OutputDash", []string{"-o", "-", "one.jpg"}, [][2]string{{"one.jpg", ""}}, false},
		{"Stdin", []string{"-"}, [][2]string{{"<stdin>", ""}}, false},
		{"StdinToFile", []string{"-", "-o", "x.svg"}, [][2]string{{"<stdin>", "x.svg"}}, false},
		{"OneFileToOutDir", []string{"--out-dir", "out", "one.jpg"}, [][2]string{{"one.jpg", p("out/one.svg")}}, false},
		{"SeveralBeside", []string{"one.jpg", p("other/one.bmp"), "-"}, [][2]string{{"one.jpg", "one.svg"}, {p("other/one.bmp"), p("other/one.svg")}, {"<stdin>", ""}}, true},
		{"FolderBeside", []string{"dir"}, [][2]string{{p("dir/a.png"), p("dir/a.svg")}, {p("dir/l.png"), p("dir/l.svg")}, {p("dir/s/b.GIF"), p("dir/s/b.svg")}}, true},
		{"FolderToOutDir", []string{"--out-dir", "out", "--format", "json", "dir"}, [][2]string{{p("dir/a.png"), p("out/a.json")}, {p("dir/l.png"), p("out/l.json")}, {p("dir/s/b.GIF"), p("out/s/b.json")}}, true},
		{"FolderThroughLink", []string{"--out-dir", "out", "dir-link"}, [][2]string{{p("dir-link/a.png"), p("out/a.svg")}, {p("dir-link/l.png"), p("out/l.svg")}, {p("dir-link/s/b.GIF"), p("out/s/b.svg")}}, true},
		{"SubfolderAndFile", []string{"--format", "datauri", "--out-dir", "out", p("dir/s"), "one.jpg"}, [][2]string{{p("dir/s/b.GIF"), p("out/b.txt")}, {"one.jpg", p("out/one.txt")}}, true},
		{"HiddenFolderNamed", []string{p("dir/.h")}, [][2]string{{p("dir/.h/d.png"), p("dir/.h/d.svg")}}, true},
		{"HiddenFileNamed", []string{p("dir/.e.png"), "one.jpg"}, [][2]string{{p("dir/.e.png"), p("dir/.e.svg")}, {"one.jpg", "one.svg"}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && (c.name == "FolderThroughLink" || c.name == "FolderBeside" || c.name == "FolderToOutDir") {
				t.Skip("uses links")
			}
			cfg, err := parseTraceArgs(c.args)
			require.NoError(t, err)
			jobs, batch, err := planJobs(cfg)
			require.NoError(t, err)
			var got [][2]string
			for _, j := range jobs {
				require.NoError(t, j.err)
				got = append(got, [2]string{j.name, j.out})
			}
			assert.Equal(t, c.jobs, got)
			assert.Equal(t, c.batch, batch)
		})
	}
}
