package tracecore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// BenchmarkCancelLatency measures how long a trace of a 50-megapixel noisy
// bitmap (the default MaxPixels) takes to return after its context is
// cancelled mid-trace: the cost of checking the context every checkEvery
// units of work. The reported metric is cancel-ms; the goal is ≤ 50 ms.
func BenchmarkCancelLatency(b *testing.B) {
	const side = 7071 // 7071² ≈ 50 MP
	bm, err := NewBitmap(side, side, 0)
	if err != nil {
		b.Fatal(err)
	}
	// Deterministic noise: blobs of a few pixels, so every stage has work.
	for i := range bm.Words {
		z := cornerHash(i, i>>7)
		bm.Words[i] = z & (z >> 1) & (z >> 3)
	}
	for y := 0; y < bm.Height; y++ {
		bm.Words[y*bm.Stride+bm.Stride-1] &= bm.lastWordMask()
	}
	var worst time.Duration
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var tr Tracer
		go func() {
			_, err := tr.Trace(ctx, bm, DefaultOptions())
			done <- err
		}()
		// Cancel at different points of the trace on different rounds.
		time.Sleep(time.Duration(100+150*(i%4)) * time.Millisecond)
		start := time.Now()
		cancel()
		err := <-done
		lat := time.Since(start)
		if !errors.Is(err, context.Canceled) {
			b.Fatalf("round %d: trace returned %v, not context.Canceled", i, err)
		}
		total += lat
		worst = max(worst, lat)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "cancel-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-cancel-ms")
}
