package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// svgtrace's side of the peer comparisons runs in a process of its own, as
// each peer's does: this program re-executed with workerEnv set, started by
// the runner, which measures its peak memory. It times svgtrace in-process,
// as peers.js times node-potrace, and writes the same JSON (peerOutput):
//
//	SVGTRACE_BENCH_WORKER=1 svgtrace-bench trace -t N [-warmup N] [-runs N] [-out FILE] [-save DIR] FILE...
//	SVGTRACE_BENCH_WORKER=1 svgtrace-bench placeholder [-warmup N] [-runs N] [-out FILE] [-save DIR] FILE...
//
// trace: the image file to an SVG with the default options and turd size N,
// as `svgtrace trace -t N` does (read, imageio.Decode, TraceImage,
// AppendSVG). placeholder: the image file to the placeholder preset's data
// URI, as an upload is (read, imageio.DecodeReduced, TraceImage with
// tracecore.PlaceholderOptions(), AppendDataURI). One Tracer and one output
// buffer serve every run, as in a server.

const workerEnv = "SVGTRACE_BENCH_WORKER"

// A peerOutput is what a measuring process, peers.js or the worker, writes.
type peerOutput struct {
	Files []peerFile `json:"files"`
}

// A peerFile holds the measurements of one input file.
type peerFile struct {
	Name string `json:"name"` // the input's base name without extension
	File string `json:"file"`
	// Total is each measured run's time from the file's name to the output,
	// in milliseconds; Stages splits it: "load" (reading and decoding the
	// file), "trace" (thresholding, tracing and writing the SVG or data
	// URI); image-trace-loader's are "colour", "trace", "svgo" and "uri".
	Total    []float64            `json:"total"`
	Stages   map[string][]float64 `json:"stages"`
	SVGBytes int                  `json:"svgBytes"`
	URIBytes int                  `json:"uriBytes"`
	SVG      string               `json:"svg,omitempty"` // the saved SVG of the last run
	URI      string               `json:"uri,omitempty"` // the saved data URI
	// itl-bitmap only: the size of the luminance node-potrace computed, the
	// explicit thresholds that trace as its automatic one, and the
	// luminance saved as a PGM.
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	Thresholds []int  `json:"thresholds,omitempty"`
	PGM        string `json:"pgm,omitempty"`
}

// parsePeerOutput decodes a measuring process's JSON and checks that it has
// the files asked for, in order, each with runs timings.
func parsePeerOutput(data []byte, names []string, runs int) (*peerOutput, error) {
	var out peerOutput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("measurement output: %w", err)
	}
	if len(out.Files) != len(names) {
		return nil, fmt.Errorf("measurement output: %d files, want %d", len(out.Files), len(names))
	}
	for i, f := range out.Files {
		if f.Name != names[i] {
			return nil, fmt.Errorf("measurement output: file %d is %q, want %q", i, f.Name, names[i])
		}
		if len(f.Total) != runs {
			return nil, fmt.Errorf("measurement output: %s: %d runs, want %d", f.Name, len(f.Total), runs)
		}
		for _, v := range f.Total {
			if !(v > 0) || v > 1e7 {
				return nil, fmt.Errorf("measurement output: %s: a run of %v ms", f.Name, v)
			}
		}
	}
	return &out, nil
}

// workerMain is the worker's main.
func workerMain(args []string, stderr io.Writer) int {
	if err := runWorker(context.Background(), args, stderr); err != nil {
		fmt.Fprintln(stderr, "svgtrace-bench worker:", err)
		return 1
	}
	return 0
}

func runWorker(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("no mode: want trace or placeholder")
	}
	mode := args[0]
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	turd := fs.Int("t", 2, "turd size (trace)")
	warmup := fs.Int("warmup", 0, "unmeasured runs of each file first")
	runs := fs.Int("runs", 1, "measured rounds over the files")
	out := fs.String("out", "", "write the JSON results to `FILE` (default standard output)")
	save := fs.String("save", "", "write the last run's SVG and data URI into `DIR`")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 || *runs < 1 || *warmup < 0 {
		return errors.New("want -runs ≥ 1, -warmup ≥ 0 and input files")
	}
	var opts tracecore.Options
	var decode func([]byte) (image.Image, error)
	switch mode {
	case "trace":
		opts = tracecore.DefaultOptions()
		opts.TurdSize = *turd
		decode = func(data []byte) (image.Image, error) {
			img, _, err := imageio.Decode(bytes.NewReader(data), opts.MaxPixels)
			return img, err
		}
	case "placeholder":
		opts = tracecore.PlaceholderOptions()
		decode = func(data []byte) (image.Image, error) {
			img, _, err := imageio.DecodeReduced(bytes.NewReader(data), opts.MaxPixels, opts.MaxSide)
			return img, err
		}
	default:
		return fmt.Errorf("unknown mode %q: want trace or placeholder", mode)
	}
	var t tracecore.Tracer
	var buf []byte
	// run is one run on one file; it leaves the output in buf.
	run := func(file string) (load, trace float64, res *tracecore.Result, err error) {
		t0 := time.Now()
		data, err := os.ReadFile(file)
		if err != nil {
			return 0, 0, nil, err
		}
		img, err := decode(data)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", file, err)
		}
		t1 := time.Now()
		res, err = t.TraceImage(ctx, img, opts)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", file, err)
		}
		if mode == "placeholder" {
			buf = res.AppendDataURI(buf[:0])
		} else {
			buf = res.AppendSVG(buf[:0])
		}
		t2 := time.Now()
		return ms(t1.Sub(t0)), ms(t2.Sub(t1)), res, nil
	}
	results := make([]peerFile, len(files))
	last := make([]*tracecore.Result, len(files))
	for i, f := range files {
		results[i] = peerFile{Name: baseName(f), File: f, Stages: map[string][]float64{}}
	}
	for range *warmup {
		for _, f := range files {
			if _, _, _, err := run(f); err != nil {
				return err
			}
		}
	}
	for range *runs {
		for i, f := range files {
			load, trace, res, err := run(f)
			if err != nil {
				return err
			}
			pf := &results[i]
			pf.Total = append(pf.Total, load+trace)
			pf.Stages["load"] = append(pf.Stages["load"], load)
			pf.Stages["trace"] = append(pf.Stages["trace"], trace)
			last[i] = res
		}
	}
	// The outputs of the last run, made again outside the timed part.
	for i, res := range last {
		pf := &results[i]
		svg := res.SVG()
		pf.SVGBytes = len(svg)
		var uri []byte
		if mode == "placeholder" {
			uri = res.AppendDataURI(nil)
			pf.URIBytes = len(uri)
		}
		if *save != "" {
			pf.SVG = filepath.Join(*save, pf.Name+".svg")
			if err := os.WriteFile(pf.SVG, svg, 0o644); err != nil {
				return err
			}
			if uri != nil {
				pf.URI = filepath.Join(*save, pf.Name+".uri")
				if err := os.WriteFile(pf.URI, uri, 0o644); err != nil {
					return err
				}
			}
		}
	}
	data, err := json.Marshal(peerOutput{Files: results})
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if *out == "" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// baseName is a file's name without directory and extension, as peers.js
// names its results.
func baseName(path string) string {
	b := filepath.Base(path)
	if i := strings.LastIndexByte(b, '.'); i >= 0 {
		return b[:i]
	}
	return b
}
