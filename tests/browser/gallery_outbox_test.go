package browser

import (
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestGalleryOutboxRemove: a file waiting in the outbox (here refused for
// want of the server's token, which nobody enters) can be removed with the
// keyboard: it leaves the list and IndexedDB, the section hides, and
// nothing is ever uploaded.
func TestGalleryOutboxRemove(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t, "--token", "never-entered")
	fruits := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")

	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{fruits}),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#outbox li').length === 1`)),
	)
	if err != nil {
		t.Fatalf("the refused file did not wait in the outbox: %v", jsError(err))
	}
	if label := text(t, ctx, `document.querySelector('#outbox .remove').getAttribute('aria-label')`); label != "Remove fruits.jpg without uploading it" {
		t.Errorf("the Remove button is labelled %q", label)
	}
	// Focus the button as a keyboard user reaches it, and press Enter.
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Evaluate[bool](`(document.querySelector('#outbox .remove').focus(), document.activeElement.classList.contains('remove'))`)),
		chromedp.KeyEvent(kb.Enter),
		voidOf(chromedp.Poll[bool](`document.getElementById('outbox').hidden && document.querySelectorAll('#outbox li').length === 0`)),
	)
	if err != nil {
		t.Fatalf("Enter on Remove did not empty the outbox: %v", jsError(err))
	}
	screenshot(t, ctx, "gallery-outbox-removed")
	var stored int
	if stored, err = chromedp.Run(step(t, ctx), chromedp.Evaluate[int](`import('/app/outbox.js').then((o) => o.all()).then((items) => items.length)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("read the outbox: %v", jsError(err))
	}
	if stored != 0 {
		t.Errorf("IndexedDB still holds %d outbox items", stored)
	}
	if id := text(t, ctx, `document.activeElement.id`); id != "drop" {
		t.Errorf("focus on %q after removing, want the drop zone", id)
	}
	if n := len(images(t, url)); n != 0 {
		t.Errorf("the server holds %d images", n)
	}
}
