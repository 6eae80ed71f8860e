package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	for _, tc := range []struct{ p, want float64 }{{0, 1}, {50, 3}, {90, 4.6}, {100, 5}} {
		if got := percentile(xs, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("percentile(%v, %v) = %v, want %v", xs, tc.p, got, tc.want)
		}
	}
	if got := percentile([]float64{1, 2, 3, 4}, 50); got != median([]float64{1, 2, 3, 4}) {
		t.Errorf("p50 %v is not the median", got)
	}
	if !math.IsNaN(percentile(nil, 50)) {
		t.Error("percentile of nothing is not NaN")
	}
}

func TestJPEGVariant(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 3)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	src := buf.Bytes()
	a, b := jpegVariant(src, "run 1"), jpegVariant(src, "run 2")
	if bytes.Equal(a, b) || bytes.Equal(a, src) {
		t.Fatal("variants are not distinct bytes")
	}
	want, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{a, b} {
		got, err := jpeg.Decode(bytes.NewReader(v))
		if err != nil {
			t.Fatalf("image/jpeg: %v", err)
		}
		if !bytes.Equal(got.(*image.Gray).Pix, want.(*image.Gray).Pix) {
			t.Error("a variant decodes to other pixels")
		}
		// The server reads the header with imageio, the worker decodes
		// with it.
		if cfg, err := imageio.DecodeConfig(bytes.NewReader(v)); err != nil || cfg.Width != 16 || cfg.Height != 8 {
			t.Errorf("imageio.DecodeConfig = %+v, %v", cfg, err)
		}
		if _, _, err := imageio.DecodeReduced(bytes.NewReader(v), 0, 0); err != nil {
			t.Errorf("imageio.DecodeReduced: %v", err)
		}
	}
}

func TestParseDBTime(t *testing.T) {
	want := time.Date(2026, 12, 3, 18, 25, 23, 123000000, time.UTC)
	for _, s := range []string{
		"2026-12-03 18:25:23.123",
		"2026-12-03T18:25:23.123Z",
		"2026-12-03 18:25:23.123+00:00",
		"2026-12-03 19:25:23.123 +0100 CET",
	} {
		got, digits, err := parseDBTime(s)
		if err != nil || !got.Equal(want) || digits != 3 {
			t.Errorf("parseDBTime(%q) = %v, %d, %v; want %v, 3", s, got, digits, err, want)
		}
	}
	if _, _, err := parseDBTime("yesterday"); err == nil {
		t.Error("parseDBTime(yesterday) did not fail")
	}
}

func TestSaturated(t *testing.T) {
	// Worker a: jobs 1 and 2 back to back, 2 waiting since before 1 ended.
	// Worker b: job 3, then job 4 that arrived after 3 ended (not saturated).
	jobs := map[string]jobTimes{
		"1": {scheduled: 0, attempted: 10, finalized: 40, worker: "a", traceMs: 27},
		"2": {scheduled: 5, attempted: 43, finalized: 75, worker: "a", traceMs: 30},
		"3": {scheduled: 0, attempted: 12, finalized: 50, worker: "b", traceMs: 35},
		"4": {scheduled: 60, attempted: 70, finalized: 100, worker: "b", traceMs: 28},
	}
	tp := &Throughput{Total: 4}
	if err := saturated(jobs, []string{"1", "2", "3", "4"}, tp); err != nil {
		t.Fatal(err)
	}
	if len(tp.Gap) != 1 || tp.Gap[0] != 3 || tp.Work[0] != 2 {
		t.Errorf("gap %v, work %v; want [3], [2]", tp.Gap, tp.Work)
	}
	if o := tp.Overhead(); len(o) != 1 || o[0] != 5 {
		t.Errorf("Overhead() = %v, want [5]", o)
	}
	// Busy: a 10–75, b 12–100: 65 + 88 = 153; traces 120; 33/4.
	if tp.MeanOverhead != 33.0/4 || tp.MeanTrace != 30 {
		t.Errorf("mean overhead %v, mean trace %v; want 8.25, 30", tp.MeanOverhead, tp.MeanTrace)
	}
	if err := saturated(jobs, []string{"9"}, &Throughput{}); err == nil {
		t.Error("an image without a job did not fail")
	}
}

func TestServeSection(t *testing.T) {
	sb := &ServeBench{
		NumCPU: 2, Workers: 2, Counts: fullServeCounts, Cmd: "svgtrace serve ...",
		PhotoBytes: 1826239, SmallBytes: 99815, SmallW: 800, SmallH: 600, SmallQuality: 80,
		UploadIdle: []float64{10, 20, 30}, UploadBusy: []float64{40, 50},
		UploadSmall: []float64{5}, TracedSmall: []float64{50}, TracedPhoto: []float64{300},
		SeenSmall: []float64{55}, SeenPhoto: []float64{305}, TraceSmall: []float64{30}, TracePhoto: []float64{28},
		FetchWait: []float64{10, 20}, JobWork: []float64{2, 3},
		TimestampPrecision: "millisecond",
		Runs: []*Throughput{
			{Workers: 1, Clients: 8, Total: 100, UploadSecs: 0.5, TracedSecs: 3.5, Upload: []float64{30},
				Gap: []float64{2}, Work: []float64{2}, MeanOverhead: 4, MeanTrace: 27},
			{Workers: 2, Clients: 8, Total: 200, UploadSecs: 1, TracedSecs: 5, Upload: []float64{40},
				Gap: []float64{3}, Work: []float64{3}, MeanOverhead: 6, MeanTrace: 40},
		},
	}
	var got []string
	for _, tg := range sb.Targets() {
		got = append(got, tg.String())
	}
	want := []string{
		"PASS upload of picos.jpg (1.83 MB) to its 202, p50, nothing tracing (--workers 0): 20.0 ms",
		"MISS upload of picos.jpg to its 202, p50, 2 workers tracing: 45.0 ms",
		"PASS upload of a 99.8 KB photo to traced, p50: 50.0 ms",
		"PASS upload of picos.jpg to traced, p50: 300 ms",
		"PASS the queue's own work per job, one upload at a time (fetched to finalized − traceMillis), p50: 2.50 ms",
		"MISS the queue's overhead per job, saturated, 2 workers (previous job finalized to finalized − traceMillis), p50: 6.00 ms",
	}
	if len(got) != len(want) {
		t.Fatalf("Targets() =\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("target %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	r := testReport()
	r.Serve = sb
	md := r.Markdown()
	for _, want := range []string{
		"## Backend: uploads and the trace queue\n",
		"| picos.jpg upload → 202, nothing tracing | 0 | 3 | 20.0 ms | 28.0 ms | 10.0 ms–30.0 ms | ≤ 30.0 ms | PASS |\n",
		"| 8 | 200 | 2 | 2 | 200 | 40.0 | 40.0 ms | 40.0 ms | 1.00 s | 5.00 s |\n",
		"| saturated: per job (gap + work) | 2 | 1 | 6.00 ms | 6.00 ms | 6.00 ms | ≤ 5.00 ms | MISS |\n",
		"- MISS the queue's overhead per job, saturated, 2 workers",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
	checkTables(t, md)
}
