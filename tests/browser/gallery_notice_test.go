package browser

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestGalleryNotices: files the gallery cannot add (one the browser cannot
// read as an image, one over the server's upload limit, which the hub
// refuses at the plan) are named in notices under the drop zone, each
// saying why, with no blocking dialog; the file chosen with them that is
// fine is added. A notice is dismissed with the keyboard.
func TestGalleryNotices(t *testing.T) {
	ctx := newBrowser(t)
	// fruits.jpg (82 KB) is over the limit, opencv-logo.png (40 KB) under.
	url := startServe(t, "--max-upload-bytes", "50000")
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("shopping list: not a PNG\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fruits := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	logo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "opencv-logo.png")

	// A dialog (alert) would block the page; count any, and close it so
	// the test fails on the count rather than hanging.
	var dialogs atomic.Int32
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}) //nolint:errcheck // the count is the check
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{notImage, fruits, logo}),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#notices li').length === 2 && !!document.querySelector('#gallery li .ph')?.getAttribute('src')`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-notices-failed")
		t.Fatalf("two notices and one card: %v (notices %q)", jsError(err), text(t, ctx, `document.getElementById('notices').textContent`))
	}
	screenshot(t, ctx, "gallery-notices")
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d dialogs opened; refusals must not block the page", n)
	}
	notices := text(t, ctx, `[...document.querySelectorAll('#notices li span')].map((s) => s.textContent).sort().join('\n')`)
	for _, want := range []string{
		"fruits.jpg was not added: 82429 bytes is over the upload limit of 50000.",
		"notes.png was not added: it is not an image this browser reads.",
	} {
		if !strings.Contains(notices, want) {
			t.Errorf("notices %q lack %q", notices, want)
		}
	}
	if live := text(t, ctx, `document.getElementById('notices').getAttribute('aria-live')`); live != "assertive" {
		t.Errorf("the notices are aria-live %q, want assertive (read out when they appear)", live)
	}
	if n := text(t, ctx, `String(document.querySelectorAll('#gallery li').length)`); n != "1" {
		t.Errorf("%s gallery cards, want the one for opencv-logo.png", n)
	}
	waitAPI(t, url, "opencv-logo.png stored", func() bool {
		imgs := images(t, url)
		return len(imgs) == 1 && imgs[0].Title == "opencv-logo.png"
	})

	// Dismiss one with the keyboard: it goes, and the focus returns to the
	// drop zone.
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Evaluate[bool](`(document.querySelector('#notices button').focus(), document.activeElement.textContent === 'Dismiss')`)),
		chromedp.KeyEvent(kb.Enter),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#notices li').length === 1 && document.activeElement.id === 'drop'`)),
	)
	if err != nil {
		t.Fatalf("Enter on Dismiss: %v", jsError(err))
	}
}
