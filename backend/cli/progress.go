package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// A reporter writes what a trace run says on standard error: failures
// always; then, unless -q, either a line per finished input or, on a
// terminal, one progress line redrawn in place; and a summary at the end of a
// run of several inputs. Only the goroutine collecting results calls it.
type reporter struct {
	w       io.Writer
	bar     bool // redraw one progress line with \r (stderr is a terminal)
	lines   bool // a line per finished input
	summary bool // a summary line at the end
	total   int
	workers int

	finished, failed  int
	bytesIn, bytesOut int64
	start             time.Time
	drawn             int // length of the progress line on screen, to blank it
}

func newReporter(w io.Writer, total, workers int) *reporter {
	return &reporter{w: w, total: total, workers: workers, start: time.Now()}
}

// done reports one finished input.
func (r *reporter) done(d outcome) {
	r.finished++
	if d.err != nil {
		r.failed++
		r.clearBar()
		fmt.Fprintf(r.w, "svgtrace trace: %v\n", d.err)
	} else {
		r.bytesIn += d.bytesIn
		r.bytesOut += int64(d.bytesOut)
		if r.lines {
			out := d.job.out
			if out == "" {
				out = "<stdout>"
			}
			fmt.Fprintf(r.w, "traced %s -> %s (%s, %s)\n", d.job.name, out, formatBytes(int64(d.bytesOut)), formatDuration(d.elapsed))
		}
	}
	if r.bar {
		r.draw()
	}
}

// barWidth is the number of cells of the progress bar.
const barWidth = 24

// draw redraws the progress line:
//
//	[#########...............] 15/40 files, 1 failed, 3.2 s
func (r *reporter) draw() {
	if !r.bar {
		return
	}
	filled := 0
	if r.total > 0 {
		filled = barWidth * r.finished / r.total
	}
	line := fmt.Sprintf("[%s%s] %d/%d files, %d failed, %s",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		r.finished, r.total, r.failed, formatSeconds(time.Since(r.start)))
	pad := max(r.drawn-len(line), 0)
	fmt.Fprintf(r.w, "\r%s%s", line, strings.Repeat(" ", pad))
	r.drawn = len(line)
}

// clearBar blanks the progress line, so that a message can take its place.
func (r *reporter) clearBar() {
	if r.drawn > 0 {
		fmt.Fprintf(r.w, "\r%s\r", strings.Repeat(" ", r.drawn))
		r.drawn = 0
	}
}

// finish replaces the progress line by the summary:
//
//	done: 39 traced, 1 failed, 3.4 MB in, 210.5 KB out, 1.23 s (-j 4)
func (r *reporter) finish() {
	r.clearBar()
	if !r.summary {
		return
	}
	fmt.Fprintf(r.w, "done: %d traced, %d failed, %s in, %s out, %s (-j %d)\n",
		r.finished-r.failed, r.failed, formatBytes(r.bytesIn), formatBytes(r.bytesOut),
		formatSeconds(time.Since(r.start)), r.workers)
}

// formatBytes writes a size in B, KB (1024 B) or MB with one decimal.
func formatBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// formatDuration writes a file's time in milliseconds, with a decimal below
// 10 ms, or in seconds from 10 s.
func formatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 10000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return formatSeconds(d)
}

// formatSeconds writes a run's time in seconds.
func formatSeconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
