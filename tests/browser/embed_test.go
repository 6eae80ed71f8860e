package browser

import (
	"context"
	"image"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestEmbedDemo loads the demo from the test server (no backend), chooses
// a photo and waits for its placeholder and then the image.
func TestEmbedDemo(t *testing.T) {
	ctx := newBrowser(t)
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	w, h := imageSize(t, photo)

	start := time.Now()
	_, err := chromedp.Run(step(t, ctx), chromedp.Steps(
		chromedp.Navigate(serverURL+"/demo/index.html"),
		// ready: the Worker has loaded the wasm.
		voidOf(chromedp.Poll[bool](`document.body.dataset.ready === 'true' || (/Cannot/.test(document.getElementById('progress').textContent) && true)`)),
	))
	if err != nil {
		t.Fatalf("load the demo: %v", jsError(err))
	}
	status := text(t, ctx, `document.getElementById('progress').textContent`)
	if ready := text(t, ctx, `document.body.dataset.ready || ''`); ready != "true" {
		screenshot(t, ctx, "embed-demo-failed")
		t.Fatalf("the tracer did not load: %q", status)
	}
	t.Logf("demo ready in %v: %s", time.Since(start).Round(time.Millisecond), status)

	start = time.Now()
	_, err = chromedp.Run(step(t, ctx), chromedp.Steps(
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{photo}),
		voidOf(chromedp.Poll[bool](`(document.getElementById('placeholder').getAttribute('src') || '').startsWith('data:image/svg+xml,') || /Cannot/.test(document.getElementById('progress').textContent)`)),
	))
	if err != nil {
		screenshot(t, ctx, "embed-demo-failed")
		t.Fatalf("trace in the demo: %v", jsError(err))
	}
	if src := text(t, ctx, `document.getElementById('placeholder').getAttribute('src') || ''`); src == "" {
		screenshot(t, ctx, "embed-demo-failed")
		t.Fatalf("no placeholder: %s", text(t, ctx, `document.getElementById('progress').textContent`))
	}
	t.Logf("placeholder shown %v after choosing the file", time.Since(start).Round(time.Millisecond))
	screenshot(t, ctx, "embed-demo-placeholder")

	svg := text(t, ctx, `document.getElementById('svg-source').textContent`)
	m := regexp.MustCompile(`^<svg xmlns="http://www.w3.org/2000/svg" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)">`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("the placeholder is not a canonical SVG: %.200q", svg)
	}
	if m[1] != strconv.Itoa(w) || m[2] != strconv.Itoa(h) {
		t.Errorf("SVG width and height %s×%s, want the image's %d×%d", m[1], m[2], w, h)
	}
	if vw, vh := atoi(m[3]), atoi(m[4]); max(vw, vh) != min(400, max(w, h)) {
		t.Errorf("SVG viewBox %d×%d, want the longer side %d (the placeholder preset's maxside)", vw, vh, min(400, max(w, h)))
	}
	if len(svg) < 200 {
		t.Errorf("the SVG has %d bytes: no trace? %q", len(svg), svg)
	}
	if got := text(t, ctx, `decodeURIComponent(document.getElementById('placeholder').getAttribute('src').slice('data:image/svg+xml,'.length)).replaceAll("'", '"')`); got != svg {
		t.Errorf("the data URI does not hold the SVG:\n uri: %.200q\n svg: %.200q", got, svg)
	}
	// The placeholder renders: the browser decoded the data URI as an image.
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](`(() => { const p = document.getElementById('placeholder'); return p.complete && p.naturalWidth > 0; })()`)); err != nil {
		t.Errorf("the placeholder did not render: %v", err)
	}

	// Then the real image fades in over it.
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](`document.getElementById('image').classList.contains('loaded')`)); err != nil {
		t.Errorf("the image did not load: %v", err)
	}
	time.Sleep(700 * time.Millisecond) // the fade, for the screenshot
	screenshot(t, ctx, "embed-demo-image")
}

// voidOf drops an action's value, for chromedp.Steps.
func voidOf[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// text evaluates a JavaScript expression of a string.
func text(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, jsError(err))
	}
	return s
}

func imageSize(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, _, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.Width, c.Height
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
