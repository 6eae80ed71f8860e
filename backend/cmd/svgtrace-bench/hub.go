package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// targetHubMs is the figure: a worker's completion to `traced` at a
// connected client, p50.
const targetHubMs = 50

// Uploads of the hub section, each one at a time until its traced event
// arrives; the warm-up ones are not counted.
const (
	hubUploadsFull  = 40
	hubUploadsQuick = 8
	hubWarmup       = 3
	hubEventTimeout = 30 * time.Second // one image, upload to its traced event
)

// HubBench is the WebSocket section: a client connected to /ws of a real
// `svgtrace serve`, told of each image the backend traces.
type HubBench struct {
	Workers int
	Uploads int
	Bytes   int    // size of each uploaded PNG
	Width   int    // and its pixels
	Height  int    //
	Cmd     string // the serve command line
	// Ms per upload: the image's traced_at (the worker's commit) to the
	// traced event read by the client; the upload's start to image.added
	// and to traced read by the client.
	CommitToClient []float64
	UploadToAdded  []float64
	UploadToTraced []float64
}

// hubImage returns a small distinct PNG: a dark block whose position and
// size follow i, on white.
func hubImage(i int) ([]byte, int, int, error) {
	const w, h = 160, 120
	img := image.NewGray(image.Rect(0, 0, w, h))
	for j := range img.Pix {
		img.Pix[j] = 255
	}
	x0, y0 := 10+i%50, 10+(i/50)%40
	for y := y0; y < y0+60; y++ {
		for x := x0; x < x0+80+i%13; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(i % 64)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), w, h, nil
}

// hubMsg is what the bench reads of a server message, stamped when read.
type hubMsg struct {
	Type        string `json:"type"`
	ImageID     string `json:"imageId"`
	LastEventID int64  `json:"lastEventId"`
	at          time.Time
}

// hubBenchmarks runs the hub section: `svgtrace serve` with a worker per
// CPU, one WebSocket client that says hello without the wasm capability
// (so the backend traces everything) and resumes from the welcome's last
// event id, and small PNGs uploaded one at a time over HTTP.
func hubBenchmarks(ctx context.Context, c *config, e *env) (*HubBench, error) {
	hb := &HubBench{Workers: runtime.NumCPU(), Uploads: hubUploadsFull}
	if c.quick {
		hb.Uploads = hubUploadsQuick
	}
	hb.Cmd = fmt.Sprintf("svgtrace serve --addr 127.0.0.1:PORT --data DIR --workers %d --log-level warn", hb.Workers)
	err := withServer(ctx, e, hb.Workers, func(s *serveProc) error {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/ws", nil)
		if err != nil {
			return fmt.Errorf("hub: dial /ws: %w", err)
		}
		defer ws.Close()
		msgs := make(chan hubMsg, 1024)
		go func() {
			defer close(msgs)
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				m := hubMsg{at: time.Now()}
				if json.Unmarshal(data, &m) == nil {
					msgs <- m
				}
			}
		}()
		wait := func(typ, id string) (hubMsg, error) {
			timeout := time.After(hubEventTimeout)
			for {
				select {
				case m, ok := <-msgs:
					if !ok {
						return m, fmt.Errorf("hub: connection closed waiting for %s %s", typ, id)
					}
					if m.Type == typ && m.ImageID == id {
						return m, nil
					}
				case <-timeout:
					return hubMsg{}, fmt.Errorf("hub: no %s for image %s after %s", typ, id, hubEventTimeout)
				}
			}
		}
		if err := ws.WriteJSON(map[string]any{"v": 1, "type": "hello", "clientId": "svgtrace-bench"}); err != nil {
			return err
		}
		welcome, err := wait("welcome", "")
		if err != nil {
			return err
		}
		if err := ws.WriteJSON(map[string]any{"v": 1, "type": "resume", "lastEventId": welcome.LastEventID}); err != nil {
			return err
		}

		cl := newBenchClient(s.base, 2)
		logf("hub: %d uploads (after %d warm-up), one at a time until their traced event", hb.Uploads, hubWarmup)
		for i := range hubWarmup + hb.Uploads {
			data, w, h, err := hubImage(i)
			if err != nil {
				return err
			}
			hb.Bytes, hb.Width, hb.Height = len(data), w, h
			id, start, _, err := cl.upload(ctx, data)
			if err != nil {
				return err
			}
			added, err := wait("image.added", id)
			if err != nil {
				return err
			}
			traced, err := wait("traced", id)
			if err != nil {
				return err
			}
			img, err := cl.get(ctx, id)
			if err != nil {
				return err
			}
			if img.TracedAt == nil {
				return fmt.Errorf("hub: image %s announced traced, but its tracedAt is empty", id)
			}
			if i < hubWarmup {
				continue
			}
			hb.CommitToClient = append(hb.CommitToClient, msBetween(*img.TracedAt, traced.at))
			hb.UploadToAdded = append(hb.UploadToAdded, msBetween(start, added.at))
			hb.UploadToTraced = append(hb.UploadToTraced, msBetween(start, traced.at))
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return hb, nil
}

// hubSettings describes the hub section's run for the report.
func hubSettings(c *config) string {
	n := hubUploadsFull
	if c.quick {
		n = hubUploadsQuick
	}
	return fmt.Sprintf("hub: %d uploads traced by the backend, each watched over /ws", n)
}

// Targets judges the hub target.
func (hb *HubBench) Targets() []Target {
	return []Target{limitTarget("worker completion (traced_at) → `traced` at a connected WebSocket client, p50",
		percentile(hb.CommitToClient, 50), targetHubMs, "ms")}
}

func (hb *HubBench) section(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Backend: the WebSocket hub\n\n")
	p("A real `svgtrace serve` with %d worker processes, as in the backend section, and one WebSocket client ", hb.Workers)
	p("(gorilla/websocket, over loopback) connected to /ws: it says hello without the wasm capability, so the backend traces ")
	p("every upload, and resumes from the welcome's last event id. The harness uploads %d distinct %s PNGs (%d×%d) one at a time, ",
		hb.Uploads, fmtBytes(hb.Bytes), hb.Width, hb.Height)
	p("each after the previous one's `traced` event arrived (%d warm-up uploads first, not counted). ", hubWarmup)
	p("A goroutine reads the connection and stamps each message as it is read.\n\n")
	p("Worker completion is the image's `traced_at` (`tracedAt` of GET /api/images/{id}), which the worker writes in the ")
	p("transaction that stores the trace and appends the `traced` event, in Unix milliseconds from the same clock: the figure ")
	p("is ±1 ms. Between the two the hub polls the events table every 10 ms (workers are other processes; the database is ")
	p("the only way their results reach the server), reads the image's SVG and writes the event to every connection.\n\n")
	p("```\n%s\n```\n\n", hb.Cmd)
	p("| measurement | uploads | p50 | p90 | min–max | target | |\n")
	p("|---|--:|--:|--:|--:|--:|---|\n")
	row := func(what string, xs []float64, target float64) {
		p50, p90, rng := fmtP(xs)
		t, verdict := "", ""
		if target > 0 {
			t, verdict = fmt.Sprintf("≤ %s ms", fmtSig3(target)), passWord(percentile(xs, 50), target)
		}
		p("| %s | %d | %s | %s | %s | %s | %s |\n", what, len(xs), p50, p90, rng, t, verdict)
	}
	row("worker completion (traced_at) → `traced` at the client", hb.CommitToClient, targetHubMs)
	row("upload start → `image.added` at the client", hb.UploadToAdded, 0)
	row("upload start → `traced` at the client", hb.UploadToTraced, 0)
	p("\n")
}
