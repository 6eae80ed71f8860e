// Command build builds svgtrace's WebAssembly modules and writes them with
// precompressed copies for the server to send as they are:
//
//	go run ./wasm/build [-o DIR]
//
// It writes, into DIR (default web/dist of the module, which svgtrace serve
// embeds and serves at /wasm/):
//
//	svgtrace.wasm       wasm/browser: traces pixels, links no decoders
//	svgtrace-full.wasm  wasm/full: also decodes encoded images
//	*.wasm.gz           compress/gzip at BestCompression
//	*.wasm.br           brotli -q 11, by the Debian brotli command; when
//	                    it is missing the .br files are removed, not kept stale
//	wasm_exec.js        the Go toolchain's loader the modules need
//
// and prints each file's size. Both modules are built with GOOS=js
// GOARCH=wasm -trimpath -ldflags="-s -w", their version set to git describe
// of the checkout ("devel" without git). Every file is written to a temporary
// name, synced and renamed, so a server reading DIR never sees half a file.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// The modules: package, and file name without .wasm.
var modules = []struct{ pkg, name string }{
	{"./wasm/browser", "svgtrace"},
	{"./wasm/full", "svgtrace-full"},
}

// versionVar is the string the -X flag sets.
const versionVar = "github.com/svgtrace/svgtrace/wasm/browser/jsapi.version"

func main() {
	out := flag.String("o", "", "output directory (default: web/dist of the module)")
	quick := flag.Bool("quick", false, "the browser module and its .gz only, no full build, no brotli (brotli -q 11 is most of a build's time): for tests")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./wasm/build [-o DIR] [-quick]")
		os.Exit(2)
	}
	if err := run(*out, os.Stdout, *quick); err != nil {
		fmt.Fprintln(os.Stderr, "wasm/build:", err)
		os.Exit(1)
	}
}

func run(dir string, stdout io.Writer, quick bool) error {
	root, err := goEnv("GOMOD")
	if err != nil {
		return err
	}
	if root == "" || root == os.DevNull {
		return errors.New("run inside the svgtrace module")
	}
	root = filepath.Dir(root)
	if dir == "" {
		dir = filepath.Join(root, "web", "dist")
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	goroot, err := goEnv("GOROOT")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	brotli, _ := exec.LookPath("brotli")
	mods := modules
	if quick {
		brotli, mods = "", modules[:1]
	}
	version := describe(root)

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "file\traw\tgzip\tbrotli\t\n")
	for _, m := range mods {
		wasm, err := build(root, m.pkg, version)
		if err != nil {
			return err
		}
		base := filepath.Join(dir, m.name+".wasm")
		if err := writeFile(base, wasm); err != nil {
			return err
		}
		gz, err := gzipped(wasm)
		if err != nil {
			return err
		}
		if err := writeFile(base+".gz", gz); err != nil {
			return err
		}
		brSize := "skipped"
		if brotli != "" {
			br, err := brotlied(brotli, base)
			if err != nil {
				return err
			}
			if err := writeFile(base+".br", br); err != nil {
				return err
			}
			brSize = fmt.Sprint(len(br))
		} else if err := os.Remove(base + ".br"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", m.name+".wasm", len(wasm), len(gz), brSize)
	}
	js, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("read wasm_exec.js: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "wasm_exec.js"), js); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	tw.Flush()
	fmt.Fprintf(stdout, "wrote %s (version %s)\n", dir, version)
	if brotli == "" && !quick {
		fmt.Fprintln(stdout, "brotli: command not found (apt-get install brotli): no .br files written")
	}
	return nil
}

// build builds pkg for js/wasm and returns the module's bytes.
func build(root, pkg, version string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "svgtrace-wasm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -X "+versionVar+"="+version, "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s: %w", pkg, err)
	}
	return os.ReadFile(out)
}

// gzipped compresses b at BestCompression, with no name and no time in the
// header so the output depends on b alone.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Write(b) // writes to a bytes.Buffer do not fail
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// brotlied compresses the file at path with the brotli command at its best
// quality.
func brotlied(brotli, path string) ([]byte, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command(brotli, "-q", "11", "-c", path)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("brotli %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}

// describe returns git describe's name of the checkout at root, or "devel".
func describe(root string) string {
	cmd := exec.Command("git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	return "devel"
}

func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// writeFile writes b to path durably: a temporary file in the same
// directory, synced, then renamed over path.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
