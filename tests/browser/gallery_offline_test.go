package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// serve is an `svgtrace serve` the test can stop and start again on the
// same address and data directory, as a server that goes away and comes
// back.
type serve struct {
	t          *testing.T
	url, addr  string
	data, logf string
	args       []string
	cmd        *exec.Cmd
	done       chan struct{}
}

// startStoppableServe is startServe for a server the test stops and
// restarts; it is stopped when the test ends.
func startStoppableServe(t *testing.T, args ...string) *serve {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &serve{t: t, url: "http://" + addr, addr: addr, data: t.TempDir(),
		logf: filepath.Join(t.TempDir(), "serve.log"), args: args}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			b, _ := os.ReadFile(s.logf)
			t.Logf("svgtrace serve output:\n%s", b)
		}
	})
	s.start()
	return s
}

// start runs the server and waits until it is ready with a live worker.
func (s *serve) start() {
	t := s.t
	t.Helper()
	log, err := os.OpenFile(s.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	s.cmd = exec.Command(svgtraceBinary(t), append([]string{"serve", "--addr", s.addr, "--data", s.data,
		"--workers", "1", "--wasm-dir", wasmDir, "--log-level", "warn"}, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(s.cmd, s.done)
	waitAPI(t, s.url, "svgtrace serve ready", func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	waitAPI(t, s.url, "a live worker", func() bool {
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return strings.Contains(string(b), "\nsvgtrace_workers_live 1")
	})
}

// stop ends the server (SIGTERM, then SIGKILL after 30 s) and waits for it.
func (s *serve) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// setOffline switches the page's network off or on: every request of the
// page, its Worker and the service worker fails while off, and
// navigator.onLine follows (so the page sees offline and online events).
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	yes := true
	err := chromedp.Do(step(t, ctx), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if offline {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &yes, MatchedNetworkConditions: rules}); err != nil {
			return fmt.Errorf("emulate network conditions: %w", err)
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
	if err != nil {
		t.Fatalf("set offline %v: %v", offline, err)
	}
}

// goOffline sets the emulation and waits until the page sees it
// (navigator.onLine false). Chromium now and then leaves a page's onLine as
// it was after overrideNetworkState, and the page then has no offline event
// to act on; the override is applied again, at most three times.
func goOffline(t *testing.T, ctx context.Context) {
	t.Helper()
	for try := 1; ; try++ {
		setOffline(t, ctx, true)
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := chromedp.Run(wctx, chromedp.Poll[bool](`navigator.onLine === false`))
		cancel()
		if err == nil {
			return
		}
		if try == 3 {
			t.Fatalf("the page still says navigator.onLine after %d tries: %v", try, err)
		}
		t.Logf("navigator.onLine still true after the override; applying it again")
		setOffline(t, ctx, false)
	}
}

// apiImageFull is GET /api/images/{id}.
type apiImageFull struct {
	ID, Status, TracedBy, Title, Alt, SVG, ContentHash string
}

func imageByID(t *testing.T, url, id string) apiImageFull {
	t.Helper()
	resp, err := http.Get(url + "/api/images/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/images/%s: %s", id, resp.Status)
	}
	var img apiImageFull
	if err := json.NewDecoder(resp.Body).Decode(&img); err != nil {
		t.Fatal(err)
	}
	return img
}

// hubEvents replays the hub's whole event history (resume from 0) and
// returns the count of each event type per image id.
func hubEvents(t *testing.T, url string) map[string]map[string]int {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial the hub: %v", err)
	}
	defer c.Close()
	for _, m := range []string{`{"v":1,"type":"hello"}`, `{"v":1,"type":"resume","lastEventId":0}`} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatalf("hub: %v", err)
		}
	}
	counts := map[string]map[string]int{}
	for {
		// The history arrives at once; a quiet second ends it.
		c.SetReadDeadline(time.Now().Add(time.Second))
		var m struct{ Type, ImageID string }
		if err := c.ReadJSON(&m); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return counts
			}
			t.Fatalf("hub: %v", err)
		}
		if m.ImageID == "" {
			continue
		}
		if counts[m.ImageID] == nil {
			counts[m.ImageID] = map[string]int{}
		}
		counts[m.ImageID][m.Type]++
	}
}

// TestGalleryOffline: with the page loaded online, the network goes away;
// two files chosen then are traced in the Worker and kept in the outbox,
// each shown with its own placeholder; when the network returns the outbox
// syncs without a reload and the server has each image exactly once,
// traced by the client (the upload carried the Worker's SVG).
//
// NetworkEmulation takes the browser offline with the server still up:
// Chromium's emulation fails new requests but leaves an open WebSocket
// alone, so this pins that the page closes its socket on the offline event.
// ServerStopped also stops the server, so the socket closes from its end,
// and starts it again on the same address and data.
func TestGalleryOffline(t *testing.T) {
	t.Run("NetworkEmulation", func(t *testing.T) { testGalleryOffline(t, false) })
	t.Run("ServerStopped", func(t *testing.T) { testGalleryOffline(t, true) })
}

func testGalleryOffline(t *testing.T, stopServer bool) {
	name := map[bool]string{false: "emulated", true: "stopped"}[stopServer]
	ctx := newBrowser(t)
	srv := startStoppableServe(t)
	dir := filepath.Join(moduleRoot, "tracecore", "testdata", "images")
	files := []string{filepath.Join(dir, "fruits.jpg"), filepath.Join(dir, "opencv-logo.png")}

	start := time.Now()
	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(srv.url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		voidOf(chromedp.Poll[bool](`!!navigator.serviceWorker.controller`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-offline-"+name+"-failed")
		t.Fatalf("load the gallery: %v", jsError(err))
	}
	t.Logf("online in %v", time.Since(start).Round(time.Millisecond))

	// Offline: the emulation fails every new request and makes
	// navigator.onLine false.
	goOffline(t, ctx)
	if stopServer {
		srv.stop()
	}
	// Alt text typed before choosing goes with both files into the outbox;
	// one of them is then described anew while it waits.
	const batchAlt, fruitAlt = "Chosen while offline", "A bowl of fruit, described while it waited"
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('offline')`)),
		chromedp.Focus(chromedp.ID("alt")),
		chromedp.KeyEvent(batchAlt),
		chromedp.SetUploadFiles(chromedp.ID("files"), files),
		voidOf(chromedp.Poll[bool](`(() => {
			const imgs = [...document.querySelectorAll('#outbox li img')];
			return !document.getElementById('outbox').hidden && imgs.length === 2 &&
				imgs.every((i) => (i.getAttribute('src') || '').startsWith('data:image/svg+xml,') && i.complete && i.naturalWidth > 0);
		})()`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-offline-"+name+"-failed")
		t.Fatalf("offline upload: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	names := text(t, ctx, `[...document.querySelectorAll('#outbox li')].map((li) => li.querySelector('.name').textContent).sort().join(',')`)
	if names != "fruits.jpg,opencv-logo.png" {
		t.Errorf("outbox lists %q, want both files", names)
	}
	if n := text(t, ctx, `String(document.querySelectorAll('#gallery li').length)`); n != "0" {
		t.Errorf("%s gallery cards while offline, want none (the files wait in the outbox)", n)
	}
	// Each waiting file has its own labelled alt text, holding the text
	// typed before choosing; one is edited with the keyboard, and the edit
	// is saved in the outbox (IndexedDB) before the network returns.
	outboxAlts := `JSON.stringify(Object.fromEntries([...document.querySelectorAll('#outbox li')].map((li) => [li.querySelector('.name').textContent, li.querySelector('input').value])))`
	var alts map[string]string
	if err := json.Unmarshal([]byte(text(t, ctx, outboxAlts)), &alts); err != nil {
		t.Fatal(err)
	}
	if len(alts) != 2 || alts["fruits.jpg"] != batchAlt || alts["opencv-logo.png"] != batchAlt {
		t.Errorf("outbox alt texts %q, want %q for both files", alts, batchAlt)
	}
	err = chromedp.Do(step(t, ctx),
		chromedp.Focus(chromedp.CSS(`#outbox input[aria-label="Alt text for fruits.jpg"]`)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(fruitAlt),
		voidOf(chromedp.Evaluate[bool](`(async () => {
			const outbox = await import('/app/outbox.js');
			for (;;) {
				const items = await outbox.all();
				if (items.some((it) => it.name === 'fruits.jpg' && it.alt === `+strconv.Quote(fruitAlt)+`)) return true;
				await new Promise((r) => setTimeout(r, 50));
			}
		})()`, chromedp.EvalAwaitPromise)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-offline-"+name+"-failed")
		t.Fatalf("edit an alt text in the outbox: %v", jsError(err))
	}
	if !stopServer {
		if n := len(images(t, srv.url)); n != 0 {
			t.Errorf("%d images reached the server while the browser was offline", n)
		}
	}
	// The Worker's SVGs, to find on the server after the sync.
	var outboxSVG map[string]string
	if err := json.Unmarshal([]byte(text(t, ctx, `JSON.stringify(Object.fromEntries([...document.querySelectorAll('#outbox li')].map((li) =>
		[li.querySelector('.name').textContent, decodeURIComponent(li.querySelector('img').getAttribute('src').slice('data:image/svg+xml,'.length))])))`)), &outboxSVG); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "gallery-offline-"+name+"-outbox")

	// Back online, no reload: the page reconnects and the outbox empties.
	start = time.Now()
	if stopServer {
		srv.start()
	}
	setOffline(t, ctx, false)
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		voidOf(chromedp.Poll[bool](`document.getElementById('outbox').hidden && document.querySelectorAll('#outbox li').length === 0`)),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#gallery li .ph[src]').length === 2`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-offline-"+name+"-sync-failed")
		t.Fatalf("sync: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	t.Logf("synced in %v", time.Since(start).Round(time.Millisecond))
	time.Sleep(700 * time.Millisecond) // the fade, for the screenshot
	screenshot(t, ctx, "gallery-offline-"+name+"-synced")

	// Exactly once: two images, each traced once, by the client; and a
	// second look a moment later finds nothing more (no late replay).
	waitAPI(t, srv.url, "two traced images", func() bool {
		imgs := images(t, srv.url)
		return len(imgs) == 2 && imgs[0].Status == "traced" && imgs[1].Status == "traced"
	})
	time.Sleep(time.Second)
	imgs := images(t, srv.url)
	if len(imgs) != 2 {
		t.Fatalf("%d images on the server, want 2", len(imgs))
	}
	events := hubEvents(t, srv.url)
	titles := map[string]bool{}
	wantAlt := map[string]string{"fruits.jpg": fruitAlt, "opencv-logo.png": batchAlt}
	for _, img := range imgs {
		full := imageByID(t, srv.url, img.ID)
		titles[full.Title] = true
		if full.Alt != wantAlt[full.Title] {
			t.Errorf("%s (%s): alt %q after the sync, want %q", full.Title, img.ID, full.Alt, wantAlt[full.Title])
		}
		if full.TracedBy != "client" {
			t.Errorf("%s (%s) traced by %q, want the client (the upload carried the Worker's SVG)", full.Title, img.ID, full.TracedBy)
		}
		if full.SVG != outboxSVG[full.Title] {
			t.Errorf("%s: the server stored another SVG than the Worker's in the outbox:\n server: %.120q\n worker: %.120q", full.Title, full.SVG, outboxSVG[full.Title])
		}
		if e := events[img.ID]; e["image.added"] != 1 || e["traced"] != 1 || e["failed"] != 0 {
			t.Errorf("%s (%s): hub events %v, want one image.added and one traced", full.Title, img.ID, e)
		}
	}
	if !titles["fruits.jpg"] || !titles["opencv-logo.png"] {
		t.Errorf("image titles %v, want fruits.jpg and opencv-logo.png", titles)
	}
	if len(events) != 2 {
		t.Errorf("hub events for %d images, want 2: %v", len(events), events)
	}
	if n := text(t, ctx, `String(document.querySelectorAll('#gallery li').length)`); n != "2" {
		t.Errorf("%s gallery cards after the sync, want 2", n)
	}
	if got, want := text(t, ctx, `JSON.stringify([...document.querySelectorAll('#gallery li .real')].map((i) => i.alt).sort())`),
		`["`+fruitAlt+`","`+batchAlt+`"]`; got != want {
		t.Errorf("gallery alt texts %s after the sync, want %s", got, want)
	}
}

// TestGallerySecondLoadOffline: after a first load the service worker
// controls the page and has cached the shell and the wasm; offline, a
// reload still renders the gallery, says it is offline, and traces a file
// in the Worker from the cached wasm into the outbox. The server sends the
// shell and the wasm with Cache-Control: no-cache, so offline only the
// service worker's cache can answer.
func TestGallerySecondLoadOffline(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")

	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		voidOf(chromedp.Poll[bool](`!!navigator.serviceWorker.controller`)),
	)
	if err == nil {
		// The wasm is cached (install's addAll ran before the activation).
		var cached bool
		cached, err = chromedp.Run(step(t, ctx), chromedp.Evaluate[bool](
			`caches.match('/wasm/svgtrace.wasm').then((r) => !!r && r.ok)`, chromedp.EvalAwaitPromise))
		if err == nil && !cached {
			err = errors.New("the service worker's cache has no /wasm/svgtrace.wasm")
		}
	}
	if err != nil {
		screenshot(t, ctx, "gallery-second-load-failed")
		t.Fatalf("first load: %v", jsError(err))
	}

	setOffline(t, ctx, true)
	start := time.Now()
	err = chromedp.Do(step(t, ctx),
		chromedp.Reload(),
		voidOf(chromedp.Poll[bool](`!!document.getElementById('gallery') && document.getElementById('status').textContent.startsWith('offline')`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-second-load-failed")
		t.Fatalf("offline reload: %v", jsError(err))
	}
	t.Logf("offline reload rendered in %v", time.Since(start).Round(time.Millisecond))
	if s := text(t, ctx, `getComputedStyle(document.getElementById('drop')).borderTopStyle`); s != "dashed" {
		t.Errorf("drop zone border %q: the stylesheet did not load from the cache", s)
	}
	err = chromedp.Do(step(t, ctx),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
		voidOf(chromedp.Poll[bool](`(() => {
			const i = document.querySelector('#outbox li img');
			return !!i && (i.getAttribute('src') || '').startsWith('data:image/svg+xml,') && i.complete && i.naturalWidth > 0;
		})()`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-second-load-failed")
		t.Fatalf("trace offline after the reload: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	t.Logf("traced from the cached wasm %v after the reload", time.Since(start).Round(time.Millisecond))
	screenshot(t, ctx, "gallery-second-load-offline")
}
