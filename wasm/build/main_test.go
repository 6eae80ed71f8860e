package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The builds themselves are exercised by wasm/browser's TestSize and by
// running the command; these check the files it writes.

func TestGzipped(t *testing.T) {
	in := bytes.Repeat([]byte("\x00asm svgtrace "), 1000)
	a, err := gzipped(in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := gzipped(in)
	if !bytes.Equal(a, b) {
		t.Error("two compressions of the same bytes differ: the header must hold no time or name")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(out, in) {
		t.Errorf("round trip: %v, %d bytes back of %d", err, len(out), len(in))
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("header name %q, time %v; want neither", zr.Name, zr.ModTime)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svgtrace.wasm")
	for _, content := range []string{"first", "second, longer"} {
		if err := writeFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("read %q, want %q", b, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1: temporary files left behind", len(entries))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}
