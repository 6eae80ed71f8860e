package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// svgtraceBinary builds the svgtrace command once per test run.
func svgtraceBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		// Both commands side by side, as make build installs them:
		// svgtrace serve runs the svgtrace-server beside it.
		dir := filepath.Join(wasmDir, "bin")
		binPath = filepath.Join(dir, "svgtrace")
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./backend/cmd/svgtrace", "./backend/cmd/svgtrace-server")
		cmd.Dir = moduleRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startServe runs `svgtrace serve` with the test's wasm build and one
// worker, on a free loopback port, until the test ends.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(svgtraceBinary(t), append([]string{"serve", "--addr", addr, "--data", t.TempDir(),
		"--workers", "1", "--wasm-dir", wasmDir, "--log-level", "warn"}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("svgtrace serve output:\n%s", b)
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("svgtrace serve not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A live worker, so the hub's decision is not the no-worker fallback.
	waitAPI(t, url, "a live worker", func() bool {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b [1 << 16]byte
		n, _ := resp.Body.Read(b[:])
		for i := 0; i+len("svgtrace_workers_live 1") <= n; i++ {
			if string(b[i:i+len("svgtrace_workers_live 1")]) == "svgtrace_workers_live 1" {
				return true
			}
		}
		return false
	})
	return url
}

func waitAPI(t *testing.T, url, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type apiImage struct {
	ID, Status, TracedBy, Placeholder, Title string
}

func images(t *testing.T, url string) []apiImage {
	t.Helper()
	resp, err := http.Get(url + "/api/images")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Images []apiImage }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Images
}

// galleryUpload opens the gallery, chooses a photo and waits until its card
// shows a placeholder; it returns the placeholder's src.
func galleryUpload(t *testing.T, ctx context.Context, url, shot string) string {
	t.Helper()
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	_, err := chromedp.Run(step(t, ctx), chromedp.Steps(
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		// Record every status a card shows on the way (upload, stages).
		voidOf(chromedp.Evaluate[bool](`(() => {
			window.seenStates = [];
			new MutationObserver(() => {
				for (const s of document.querySelectorAll('#gallery .state')) if (s.textContent) window.seenStates.push(s.textContent);
			}).observe(document.getElementById('gallery'), {subtree: true, childList: true, characterData: true});
			return true;
		})()`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
		voidOf(chromedp.Poll[bool](`!!document.querySelector('#gallery li .ph') && !!document.querySelector('#gallery li .ph').getAttribute('src')`)),
	))
	if err != nil {
		screenshot(t, ctx, shot+"-failed")
		t.Fatalf("gallery upload: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	src := text(t, ctx, `document.querySelector('#gallery li .ph').getAttribute('src')`)
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](`document.querySelector('#gallery li .real').classList.contains('loaded')`)); err != nil {
		t.Errorf("the real image did not fade in: %v", err)
	}
	time.Sleep(700 * time.Millisecond) // the fade, for the screenshot
	screenshot(t, ctx, shot)
	return src
}

// TestGalleryClientTraces: a small photo is assigned to the browser, traced
// in its Worker, shown at once, and stored on the server as the client's.
func TestGalleryClientTraces(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)
	src := galleryUpload(t, ctx, url, "gallery-client")
	if len(src) < 20 {
		t.Fatalf("placeholder src %q", src)
	}
	waitAPI(t, url, "the image traced by the client", func() bool {
		imgs := images(t, url)
		return len(imgs) == 1 && imgs[0].Status == "traced"
	})
	if img := images(t, url)[0]; img.TracedBy != "client" {
		t.Errorf("traced by %q, want the client (the browser was assigned the photo)", img.TracedBy)
	}
}

// TestGalleryServerTraces: with the client limits lowered, the backend
// traces; the placeholder reaches the page over the WebSocket.
func TestGalleryServerTraces(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t, "--client-max-bytes", "10")
	galleryUpload(t, ctx, url, "gallery-server")
	waitAPI(t, url, "the image traced", func() bool {
		imgs := images(t, url)
		return len(imgs) == 1 && imgs[0].Status == "traced"
	})
	img := images(t, url)[0]
	if img.TracedBy != "server" {
		t.Errorf("traced by %q, want the server", img.TracedBy)
	}
	// The card showed the upload and the backend's stages as they came.
	states := text(t, ctx, `JSON.stringify([...new Set(window.seenStates)])`)
	for _, want := range []string{"uploading", "prepare"} {
		if !strings.Contains(states, `"`+want+`"`) {
			t.Errorf("the card never showed %q; it showed %s", want, states)
		}
	}
	want := img.Placeholder
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('#gallery li .ph').getAttribute('src') === %q`, want))); err != nil {
		t.Errorf("the page does not show the server's placeholder %s: %v", want, err)
	}
}
