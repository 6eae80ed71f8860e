package clientsvg_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
)

// FuzzSanitize: Sanitize never panics; what it accepts parses as XML, is
// accepted again unchanged, and rasterizes. Seeds are every file of
// testdata/hostile and testdata/accept. The input is capped at 64 KiB and
// the raster at 16×16, so each run stays cheap.
func FuzzSanitize(f *testing.F) {
	for _, dir := range []string{"testdata/hostile", "testdata/accept"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.svg"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	lim := clientsvg.Limits{MaxBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := clientsvg.Sanitize(in, lim)
		if err != nil {
			if out != nil {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		if err := xmlWellFormed(out); err != nil {
			t.Fatalf("output is not XML: %v\n%s", err, out)
		}
		again, err := clientsvg.Sanitize(out, lim)
		if err != nil {
			t.Fatalf("output rejected: %v\n%s", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%s\n%s", out, again)
		}
		doc, err := clientsvg.Parse(out, lim)
		if err != nil {
			t.Fatal(err)
		}
		doc.Rasterize(16, 16)
	})
}
