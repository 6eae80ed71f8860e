package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A job is one input to trace and where its output goes.
type job struct {
	in   string // the file to read, or "-" for standard input
	name string // the input as reported: its path, or <stdin>
	out  string // the file to write; "" for standard output
	// err, when set, is why the input could not even be listed (a folder
	// that cannot be read): the job is reported as failed, nothing traced.
	err error
}

// stdinName is how standard input is reported.
const stdinName = "<stdin>"

// imageExts are the file name extensions a folder is searched for. A file
// named on the command line is traced whatever its name; either way the
// format is recognised by the bytes.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".bmp": true,
	".pbm": true, ".pgm": true, ".ppm": true, ".pnm": true,
}

func hasImageExt(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// A usageError is a command line that cannot be carried out as a whole:
// reported before anything is traced, with exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// planJobs expands the inputs (folders into the image files below them) and
// decides each one's output. It fails, with a usageError, only for command
// lines that cannot be carried out: -o with a folder, standard input twice,
// two inputs that would write the same file, or an output that would
// overwrite an input. An input that does not exist is left to fail when it
// is opened, as a failed input rather than a usage error. batch is true when
// the command line names several inputs or a folder.
func planJobs(c *traceConfig) (jobs []job, batch bool, err error) {
	ext := formats[c.format]
	batch = len(c.inputs) > 1
	stdin := false
	for _, in := range c.inputs {
		if in == "-" {
			if stdin {
				return nil, false, usageErrorf("standard input (-) is given more than once")
			}
			stdin = true
			jobs = append(jobs, job{in: "-", name: stdinName, out: c.fileOutput()})
			continue
		}
		// Stat follows a link given on the command line: a folder named
		// through a link is searched, as find -H does.
		fi, err := os.Stat(in)
		if err != nil || !fi.IsDir() {
			jobs = append(jobs, job{in: in, name: in, out: c.outputFor(in, filepath.Base(in), ext, len(c.inputs) == 1)})
			continue
		}
		if c.output != "" {
			return nil, false, usageErrorf("-o takes one input file, and %s is a folder: use --out-dir", in)
		}
		batch = true
		jobs = append(jobs, walkImages(c, in, ext)...)
	}
	if err := checkOutputs(jobs); err != nil {
		return nil, false, err
	}
	return dedupe(jobs), batch, nil
}

// fileOutput is -o's file, or "" (standard output) when there is none or it
// is "-".
func (c *traceConfig) fileOutput() string {
	if c.output == "-" {
		return ""
	}
	return c.output
}

// outputFor is the output of the input file in, whose path below the folder
// it was found in is rel (its base name for a file named on the command
// line). alone is true for the one input file of a command line, which
// without -o or --out-dir goes to standard output, as with potrace -s.
func (c *traceConfig) outputFor(in, rel, ext string, alone bool) string {
	switch {
	case c.output != "":
		return c.fileOutput()
	case c.outDir != "":
		return filepath.Join(c.outDir, strings.TrimSuffix(rel, filepath.Ext(rel))+ext)
	case alone:
		return ""
	}
	return strings.TrimSuffix(in, filepath.Ext(in)) + ext
}

// walkImages lists the image files below the folder root as jobs, in lexical
// order. Names starting with "." (below root) are skipped: hidden files and
// folders, and the temporary files of outputs being written. Links are not
// followed into folders, so a link cycle cannot make the walk endless; a link
// to a file with an image extension is traced like the file. A folder that
// cannot be read becomes a failed job and the walk carries on.
func walkImages(c *traceConfig, root, ext string) []job {
	var jobs []job
	// Walk the folder a link given as root points to, but report and name
	// outputs by the path the user gave.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	walkErr := filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		rel, relErr := filepath.Rel(real, path)
		if relErr != nil {
			return relErr // cannot happen: WalkDir's paths are below real
		}
		name := filepath.Join(root, rel)
		if err != nil {
			// A folder that cannot be read (WalkDir then skips it).
			jobs = append(jobs, job{in: name, name: name, err: err})
			return nil
		}
		if path != real && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !hasImageExt(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// A link: traced when it leads to a regular file, or to nothing
			// (it then fails when opened, and is reported); a link to a
			// folder is not followed.
			if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil // a named pipe or device: reading it could block
		}
		jobs = append(jobs, job{in: name, name: name, out: c.outputFor(name, rel, ext, false)})
		return nil
	})
	if walkErr != nil {
		jobs = append(jobs, job{in: root, name: root, err: walkErr})
	}
	return jobs
}

// checkOutputs refuses a plan in which two different inputs would write the
// same output file, or an output would replace an input. Paths are compared
// absolute and cleaned; two spellings of one file through links are not
// recognised, and on a case-insensitive file system A.svg and a.svg are not
// seen as one.
func checkOutputs(jobs []job) error {
	inputs := make(map[string]string, len(jobs))
	for _, j := range jobs {
		if j.in != "-" && j.err == nil {
			inputs[absPath(j.in)] = j.name
		}
	}
	writers := make(map[string]string, len(jobs))
	for _, j := range jobs {
		if j.out == "" || j.err != nil {
			continue
		}
		key := absPath(j.out)
		if in, ok := inputs[key]; ok {
			return usageErrorf("the output of %s would overwrite the input %s", j.name, in)
		}
		if prev, ok := writers[key]; ok && absPath(prev) != absPath(j.in) {
			return usageErrorf("%s and %s would both write %s", prev, j.name, j.out)
		}
		writers[key] = j.in
	}
	return nil
}

// dedupe drops repeats of a job (the same input to the same output, as when a
// file is named twice): tracing it twice would write the same bytes.
func dedupe(jobs []job) []job {
	type key struct{ in, out string }
	seen := make(map[key]bool, len(jobs))
	kept := jobs[:0]
	for _, j := range jobs {
		k := key{absPath(j.in), j.out}
		if j.out != "" {
			k.out = absPath(j.out)
		}
		if j.in != "-" && j.err == nil && seen[k] {
			continue
		}
		seen[k] = true
		kept = append(kept, j)
	}
	return kept
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
