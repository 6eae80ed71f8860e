package browser

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// previewSrc is the options preview's image source, "" before the first.
const previewSrc = `(document.getElementById('preview').hidden ? '' : document.querySelector('#preview img').getAttribute('src') || '')`

// waitPreviewChange waits until the preview shows a data: SVG other than
// before, and returns it.
func waitPreviewChange(t *testing.T, ctx context.Context, before, what string) string {
	t.Helper()
	expr := `(() => { const s = ` + previewSrc + `; return s.startsWith('data:image/svg+xml,') && s !== ` + strconv.Quote(before) + `; })()`
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](expr)); err != nil {
		screenshot(t, ctx, "gallery-preview-failed")
		t.Fatalf("the preview did not change after %s: %v", what, jsError(err))
	}
	return text(t, ctx, previewSrc)
}

// TestGalleryOptionsPreview: the options panel previews the last file
// chosen, traced in the browser, and the preview follows the options: the
// turd size, then a manual threshold moved with the keyboard.
func TestGalleryOptionsPreview(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")

	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		chromedp.Click(chromedp.CSS("#options summary")),
		voidOf(chromedp.Poll[bool](`document.getElementById('options').open`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
	)
	if err != nil {
		t.Fatalf("open the options: %v", jsError(err))
	}
	// Choosing a file with the panel open previews it at once.
	first := waitPreviewChange(t, ctx, "", "choosing a file")
	screenshot(t, ctx, "gallery-preview-default")

	// Turd size 0 keeps every speck: another SVG.
	err = chromedp.Do(step(t, ctx),
		chromedp.Click(chromedp.CSS(`#opts [name=turdsize]`)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent("0"),
	)
	if err != nil {
		t.Fatalf("type the turd size: %v", err)
	}
	if v := text(t, ctx, `document.querySelector('#opts [name=turdsize]').value`); v != "0" {
		t.Fatalf("turd size %q after typing 0", v)
	}
	second := waitPreviewChange(t, ctx, first, "turd size 0")

	// A manual threshold: untick automatic, which enables the slider, and
	// move it with the arrow keys.
	err = chromedp.Do(step(t, ctx),
		chromedp.Click(chromedp.CSS(`#opts [name=threshold-auto]`)),
		voidOf(chromedp.Poll[bool](`!document.querySelector('#opts [name=threshold]').disabled`)),
		chromedp.Focus(chromedp.CSS(`#opts [name=threshold]`)),
		chromedp.KeyEvent(strings.Repeat(kb.ArrowRight, 20)),
	)
	if err != nil {
		t.Fatalf("move the threshold: %v", jsError(err))
	}
	if v := text(t, ctx, `document.querySelector('#opts [name=threshold]').value`); v != "0.7" {
		t.Errorf("threshold %q after 20 steps right of 0.5, want 0.7", v)
	}
	third := waitPreviewChange(t, ctx, second, "threshold 0.7")
	if third == first {
		t.Errorf("threshold 0.7 and turd size 0 preview the same SVG as the defaults")
	}
	if _, err := chromedp.Run(step(t, ctx), chromedp.Poll[bool](`(() => { const i = document.querySelector('#preview img'); return i.complete && i.naturalWidth > 0; })()`)); err != nil {
		t.Errorf("the preview does not render: %v", err)
	}
	if alt := text(t, ctx, `document.querySelector('#preview img').alt`); alt == "" {
		t.Errorf("the preview image has no alt text")
	}
	screenshot(t, ctx, "gallery-preview-options")
}

// TestGalleryKeyboardAndPhone: the drop zone is reached with Tab and opens
// the file chooser with Enter; gallery images keep their title as alt
// text; at phone width (375 px) nothing scrolls sideways.
func TestGalleryKeyboardAndPhone(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)

	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
	)
	if err != nil {
		t.Fatalf("load the gallery: %v", jsError(err))
	}
	// Tab from the top of the page to the drop zone.
	if active := tabUntil(t, ctx, "drop"); active != "drop" {
		t.Fatalf("10 tabs never reached #drop (last focus %q)", active)
	}
	if role := text(t, ctx, `document.activeElement.getAttribute('role')`); role != "button" {
		t.Errorf("#drop has role %q, want button", role)
	}
	screenshot(t, ctx, "gallery-keyboard-focus")
	// Enter opens the file chooser, which the test intercepts.
	if _, err := chromedp.Call(step(t, ctx), page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
		t.Fatalf("intercept the file chooser: %v", err)
	}
	opened, err := chromedp.Run(step(t, ctx), chromedp.WaitEvent(page.FileChooserOpened, nil, chromedp.KeyEvent(kb.Enter)))
	if err != nil {
		t.Fatalf("Enter on the drop zone did not open the file chooser: %v", err)
	}
	if opened.Mode != page.FileChooserOpenedModeSelectMultiple {
		t.Errorf("file chooser mode %q, want %q (many files at once)", opened.Mode, page.FileChooserOpenedModeSelectMultiple)
	}

	// An upload's card shows the image with its title as the alt text.
	galleryUpload(t, ctx, url, "gallery-keyboard-upload")
	if alt := text(t, ctx, `document.querySelector('#gallery li .real').alt`); alt != "fruits.jpg" {
		t.Errorf("gallery image alt %q, want the title fruits.jpg", alt)
	}
	if n := text(t, ctx, `String([...document.querySelectorAll('img')].filter((i) => !i.hasAttribute('alt')).length)`); n != "0" {
		t.Errorf("%s images without an alt attribute", n)
	}

	// Phone width, with the options panel open.
	err = chromedp.Do(step(t, ctx),
		chromedp.EmulateViewport(375, 700, chromedp.EmulateMobile),
		chromedp.Click(chromedp.CSS("#options summary")),
		voidOf(chromedp.Poll[bool](`document.getElementById('options').open && window.innerWidth === 375`)),
	)
	if err != nil {
		t.Fatalf("phone viewport: %v", jsError(err))
	}
	if w := text(t, ctx, `String(document.documentElement.scrollWidth)`); atoi(w) > 375 {
		t.Errorf("page scroll width %s px at a 375 px viewport: it scrolls sideways", w)
	}
	if w := text(t, ctx, `String(Math.round(document.querySelector('#gallery li').getBoundingClientRect().right))`); atoi(w) > 375 {
		t.Errorf("the gallery card ends at %s px, beyond the 375 px viewport", w)
	}
	if w := text(t, ctx, `String(Math.round(document.getElementById('alt').getBoundingClientRect().right))`); atoi(w) > 375 {
		t.Errorf("the alt text field ends at %s px, beyond the 375 px viewport", w)
	}
	screenshot(t, ctx, "gallery-phone")
}

// TestGalleryAltText: a keyboard user tabs to the alt text field (before
// the drop zone), types a description and presses Enter, which opens the
// file chooser; the file chosen is uploaded with that alt text: the server
// stores it, and the card shows it on the real image and on the
// placeholder, which is aria-hidden so screen readers read it once. The
// field is cleared for the next image.
func TestGalleryAltText(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	const alt = "Two apples and a pear on a wooden table"

	err := chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
	)
	if err != nil {
		t.Fatalf("load the gallery: %v", jsError(err))
	}
	if active := tabUntil(t, ctx, "alt", "drop"); active != "alt" {
		t.Fatalf("tabbing reached %q before the alt text field (it should come before the drop zone)", active)
	}
	if label := text(t, ctx, `[...document.activeElement.labels].map((l) => l.textContent.trim()).join(' ')`); !strings.Contains(label, "Alt text") {
		t.Errorf("the alt text field is labelled %q", label)
	}
	if _, err := chromedp.Run(step(t, ctx), chromedp.KeyEvent(alt)); err != nil {
		t.Fatalf("type the alt text: %v", err)
	}
	if v := text(t, ctx, `document.getElementById('alt').value`); v != alt {
		t.Fatalf("the alt text field holds %q after typing %q", v, alt)
	}
	// Enter opens the file chooser (intercepted); the test then chooses the
	// file as the chooser would.
	if _, err := chromedp.Call(step(t, ctx), page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
		t.Fatalf("intercept the file chooser: %v", err)
	}
	if _, err := chromedp.Run(step(t, ctx), chromedp.WaitEvent(page.FileChooserOpened, nil, chromedp.KeyEvent(kb.Enter))); err != nil {
		t.Fatalf("Enter in the alt text field did not open the file chooser: %v", err)
	}
	err = chromedp.Do(step(t, ctx),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
		voidOf(chromedp.Poll[bool](`!!document.querySelector('#gallery li .ph') && !!document.querySelector('#gallery li .ph').getAttribute('src')`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-alt-failed")
		t.Fatalf("upload: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	if v := text(t, ctx, `document.getElementById('alt').value`); v != "" {
		t.Errorf("the alt text field still holds %q after the upload: the next image would get it", v)
	}

	waitAPI(t, url, "the image stored", func() bool { return len(images(t, url)) == 1 })
	img := imageByID(t, url, images(t, url)[0].ID)
	if img.Alt != alt {
		t.Errorf("GET /api/images/%s: alt %q, want %q", img.ID, img.Alt, alt)
	}
	if img.Title != "fruits.jpg" {
		t.Errorf("GET /api/images/%s: title %q, want the file name", img.ID, img.Title)
	}
	// After a reload too, the card is drawn from the API's answer.
	for _, reload := range []bool{false, true} {
		if reload {
			err := chromedp.Do(step(t, ctx),
				chromedp.Reload(),
				voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online' && !!document.querySelector('#gallery li .real')`)),
			)
			if err != nil {
				t.Fatalf("reload: %v", jsError(err))
			}
		}
		if got := text(t, ctx, `document.querySelector('#gallery li .real').alt`); got != alt {
			t.Errorf("reload %v: the gallery image's alt is %q, want %q", reload, got, alt)
		}
		if got := text(t, ctx, `document.querySelector('#gallery li .ph').alt`); got != alt {
			t.Errorf("reload %v: the placeholder's alt is %q, want %q", reload, got, alt)
		}
		if got := text(t, ctx, `String(document.querySelector('#gallery li .ph').getAttribute('aria-hidden'))`); got != "true" {
			t.Errorf("reload %v: the placeholder has aria-hidden %q, want true (its alt would be read twice)", reload, got)
		}
	}
	screenshot(t, ctx, "gallery-alt")
}

// tabUntil presses Tab until the focused element's id is one of ids, at
// most 10 times, and returns the id focused last.
func tabUntil(t *testing.T, ctx context.Context, ids ...string) string {
	t.Helper()
	var active string
	for range 10 {
		if _, err := chromedp.Run(step(t, ctx), chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("tab: %v", err)
		}
		if active = text(t, ctx, `document.activeElement.id`); slices.Contains(ids, active) {
			break
		}
	}
	return active
}
