package browser

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tabTo presses Tab until the JavaScript condition cond holds for the
// focused element (document.activeElement as el), at most 15 times, and
// reports whether it did.
func tabTo(t *testing.T, ctx context.Context, cond string) bool {
	t.Helper()
	expr := `(() => { const el = document.activeElement; return String(!!(` + cond + `)); })()`
	for range 15 {
		if _, err := chromedp.Run(step(t, ctx), chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("tab: %v", err)
		}
		if text(t, ctx, expr) == "true" {
			return true
		}
	}
	return false
}

// key presses keys in the page and waits for the JavaScript condition
// cond, failing the test with what if it never holds.
func key(t *testing.T, ctx context.Context, keys, cond, what string) {
	t.Helper()
	err := chromedp.Do(step(t, ctx), chromedp.KeyEvent(keys), voidOf(chromedp.Poll[bool](cond)))
	if err != nil {
		screenshot(t, ctx, "gallery-edit-failed")
		t.Fatalf("%s: %v", what, jsError(err))
	}
}

// Expressions on the gallery's one card.
const (
	cardAlt     = `document.querySelector('#gallery li .real').alt`
	editorOpen  = `!document.querySelector('#gallery li .alt-edit').hidden`
	focusOnEdit = `document.activeElement === document.querySelector('#gallery li .edit')`
	focusInput  = `document.activeElement === document.querySelector('#gallery li .alt-edit input')`
)

// TestGalleryEditAlt: a keyboard user fixes an image's alt text after the
// upload. Tab reaches the card's "Edit alt text" button; Enter opens a
// labelled field holding the stored alt text; Escape closes it changing
// nothing; Enter in the field saves: the server stores the text, and a
// second tab, never reloaded, shows it on its card from the hub's
// image.updated. Uploading the same file again with alt text typed puts
// that text on the image, which the upload found already there. At phone
// width the editor fits the card.
func TestGalleryEditAlt(t *testing.T) {
	ctx := newBrowser(t)
	url := startServe(t)
	galleryUpload(t, ctx, url, "gallery-edit-upload")
	imgs := images(t, url)
	if len(imgs) != 1 {
		t.Fatalf("%d images after one upload", len(imgs))
	}
	id := imgs[0].ID
	const fixed = "Two red apples and a green pear on a wooden table"

	// A second tab on the same gallery, marked so a reload would show.
	other, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	err := chromedp.Do(step(t, other),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online' && !!document.querySelector('#gallery li .real')`)),
		voidOf(chromedp.Evaluate[bool](`window.notReloaded = true`)),
	)
	if err != nil {
		t.Fatalf("open the second tab: %v", jsError(err))
	}
	if got := text(t, other, cardAlt); got != "fruits.jpg" {
		t.Fatalf("the second tab's card has alt %q before the edit, want the title fruits.jpg", got)
	}

	// Back to the first tab, which gets the keys, from the top of the page.
	if _, err := chromedp.Call(step(t, ctx), page.BringToFront, cdp.Empty{}); err != nil {
		t.Fatalf("bring the first tab to the front: %v", err)
	}
	if _, err := chromedp.Run(step(t, ctx), chromedp.Evaluate[bool](`document.activeElement.blur(), true`)); err != nil {
		t.Fatalf("blur: %v", err)
	}
	if !tabTo(t, ctx, `el.classList.contains('edit')`) {
		t.Fatalf("15 tabs never reached the card's edit button (last focus %q)", text(t, ctx, `document.activeElement.outerHTML.slice(0, 80)`))
	}
	if got := text(t, ctx, `document.activeElement.textContent.trim()`); got != "Edit alt text" {
		t.Errorf("the edit button says %q", got)
	}
	if got := text(t, ctx, `document.activeElement.getAttribute('aria-expanded')`); got != "false" {
		t.Errorf("the closed editor's button has aria-expanded %q", got)
	}

	// Enter opens the editor with the stored alt text (none: the card shows
	// the title in its place); Escape closes it, changing nothing.
	key(t, ctx, kb.Enter, editorOpen+` && `+focusInput, "Enter on the edit button")
	if got := text(t, ctx, `[...document.activeElement.labels].map((l) => l.textContent.trim()).join(' ')`); got != "Alt text" {
		t.Errorf("the alt text field is labelled %q", got)
	}
	if got := text(t, ctx, `document.activeElement.value`); got != "" {
		t.Errorf("the editor starts from %q, want the stored alt text, none", got)
	}
	if got := text(t, ctx, `document.querySelector('#gallery li .edit').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("the open editor's button has aria-expanded %q", got)
	}
	// Save and Cancel follow the field in the tab order.
	key(t, ctx, kb.Tab, `document.activeElement.textContent === 'Save'`, "Tab from the field to Save")
	key(t, ctx, kb.Tab, `document.activeElement.textContent === 'Cancel'`, "Tab from Save to Cancel")
	// And Shift+Tab goes back.
	shiftTab := chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	if err := chromedp.Do(step(t, ctx), shiftTab, shiftTab, voidOf(chromedp.Poll[bool](focusInput))); err != nil {
		t.Fatalf("Shift+Tab back to the field: %v", jsError(err))
	}
	key(t, ctx, "not this one", `document.activeElement.value === 'not this one'`, "type in the field")
	key(t, ctx, kb.Escape, `!(`+editorOpen+`) && `+focusOnEdit, "Escape in the editor")
	if got := imageByID(t, url, id).Alt; got != "" {
		t.Fatalf("after Escape the stored alt text is %q", got)
	}
	if got := text(t, ctx, cardAlt); got != "fruits.jpg" {
		t.Errorf("after Escape the card's alt is %q", got)
	}

	// Enter again, type, Enter saves.
	key(t, ctx, kb.Enter, editorOpen+` && `+focusInput+` && document.activeElement.value === ''`, "Enter on the edit button again")
	key(t, ctx, fixed, `document.activeElement.value === `+strconv.Quote(fixed), "type the alt text")
	screenshot(t, ctx, "gallery-edit-open")
	key(t, ctx, kb.Enter, `!(`+editorOpen+`) && `+focusOnEdit+` && `+cardAlt+` === `+strconv.Quote(fixed), "Enter in the field")
	if got := imageByID(t, url, id).Alt; got != fixed {
		t.Fatalf("GET /api/images/%s: alt %q after saving %q", id, got, fixed)
	}
	if got := text(t, ctx, `document.querySelector('#gallery li .ph').alt`); got != fixed {
		t.Errorf("the placeholder's alt is %q, want the saved text", got)
	}

	// The other tab follows, without a reload.
	if _, err := chromedp.Run(step(t, other), chromedp.Poll[bool](cardAlt+` === `+strconv.Quote(fixed)+` && document.querySelector('#gallery li .ph').alt === `+strconv.Quote(fixed))); err != nil {
		t.Fatalf("the second tab's card never showed the new alt text (it shows %q): %v", text(t, other, cardAlt), err)
	}
	if got := text(t, other, `String(window.notReloaded)`); got != "true" {
		t.Errorf("the second tab was reloaded")
	}

	// The same file again, with alt text typed first: the plan answers
	// that the image exists, and the text goes onto it rather than nowhere.
	const again = "Apples and a pear, photographed from above"
	photo := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	err = chromedp.Do(step(t, ctx),
		chromedp.SetValue(chromedp.ID("alt"), again),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
		voidOf(chromedp.Poll[bool](cardAlt+` === `+strconv.Quote(again))),
	)
	if err != nil {
		t.Fatalf("the alt text typed for an upload of an existing image never reached its card: %v", jsError(err))
	}
	if got := imageByID(t, url, id).Alt; got != again {
		t.Errorf("after uploading the same file with alt text %q the stored alt is %q", again, got)
	}
	if n := len(images(t, url)); n != 1 {
		t.Errorf("%d images after uploading the same file twice", n)
	}
	if _, err := chromedp.Run(step(t, other), chromedp.Poll[bool](cardAlt+` === `+strconv.Quote(again))); err != nil {
		t.Errorf("the second tab never showed the alt text of the second upload: %v", err)
	}

	// Phone width: the open editor fits its card and the page.
	err = chromedp.Do(step(t, ctx),
		chromedp.EmulateViewport(375, 700, chromedp.EmulateMobile),
		voidOf(chromedp.Poll[bool](`window.innerWidth === 375`)),
		chromedp.Click(chromedp.CSS(`#gallery li .edit`)),
		voidOf(chromedp.Poll[bool](editorOpen)),
	)
	if err != nil {
		t.Fatalf("phone viewport: %v", jsError(err))
	}
	if w := text(t, ctx, `String(document.documentElement.scrollWidth)`); atoi(w) > 375 {
		t.Errorf("page scroll width %s px at a 375 px viewport with the editor open", w)
	}
	card := atoi(text(t, ctx, `String(Math.ceil(document.querySelector('#gallery li').getBoundingClientRect().right))`))
	for _, sel := range []string{".alt-edit input", ".alt-edit [type=submit]", ".alt-edit .cancel", ".edit", ".del"} {
		right := atoi(text(t, ctx, `String(Math.floor(document.querySelector('#gallery li `+sel+`').getBoundingClientRect().right))`))
		if right > card || right > 375 {
			t.Errorf("%s ends at %d px, beyond its card (%d px) or the 375 px viewport", sel, right, card)
		}
	}
	screenshot(t, ctx, "gallery-edit-phone")
}
