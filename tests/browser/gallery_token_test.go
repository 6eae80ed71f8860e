package browser

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestGalleryToken: on a server started with --token, a fresh gallery's
// upload is refused and the user is told, at the token field; the file
// waits in the outbox. The token typed and saved with the keyboard syncs
// it, lets the hub plan the next upload, and is still there after a
// reload, where a delete from the card goes through with it.
func TestGalleryToken(t *testing.T) {
	// Characters a query string must escape: the hub gets it by /ws?token=.
	const token = "gallery-t0ken+/&=?"
	ctx := newBrowser(t)
	url := startServe(t, "--token", token)
	list := func() []apiImage { return images(t, url) }
	fruits := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "fruits.jpg")
	building := filepath.Join(moduleRoot, "tracecore", "testdata", "images", "building.jpg")

	// Record every WebSocket the page opens (DevTools' network events),
	// to check below that the token never goes in a URL (access logs keep
	// those) and which subprotocol the hub selected.
	var (
		socketsMu             sync.Mutex
		socketURLs, protocols []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		socketsMu.Lock()
		defer socketsMu.Unlock()
		switch ev := ev.(type) {
		case *network.EventWebSocketCreated:
			socketURLs = append(socketURLs, ev.URL)
		case *network.EventWebSocketHandshakeResponseReceived:
			for k, v := range ev.Response.Headers {
				if p, ok := v.(string); ok && strings.EqualFold(k, "Sec-WebSocket-Protocol") {
					protocols = append(protocols, p)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	// No token: the hub refuses the plan; the gallery says so and opens
	// Settings with the focus on the token field.
	err = chromedp.Do(step(t, ctx),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{fruits}),
		voidOf(chromedp.Poll[bool](`!document.getElementById('token-needed').hidden`)),
		// The refused file waits in the outbox for the token.
		voidOf(chromedp.Poll[bool](`!document.getElementById('outbox').hidden && document.querySelectorAll('#outbox li').length === 1`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-token-refused-failed")
		t.Fatalf("a tokenless upload was not refused with a word to the user: %v (status %q)", jsError(err), text(t, ctx, `document.getElementById('status').textContent`))
	}
	screenshot(t, ctx, "gallery-token-needed")
	if s := text(t, ctx, `document.getElementById('status').textContent`); !strings.Contains(s, "needs its write token") {
		t.Errorf("status %q, want it to ask for the write token", s)
	}
	if s := text(t, ctx, `document.getElementById('token-needed').textContent`); !strings.Contains(s, "Settings") {
		t.Errorf("the alert says %q, want it to point at Settings", s)
	}
	if open := text(t, ctx, `String(document.getElementById('settings').open)`); open != "true" {
		t.Errorf("Settings is not open after the refusal")
	}
	if id := text(t, ctx, `document.activeElement.id`); id != "token" {
		t.Fatalf("focus on %q after the refusal, want the token field", id)
	}
	if label := text(t, ctx, `[...document.activeElement.labels].map((l) => l.textContent.trim()).join(' ')`); label != "Server token" {
		t.Errorf("the token field is labelled %q", label)
	}
	if typ := text(t, ctx, `document.activeElement.type`); typ != "password" {
		t.Errorf("the token field is of type %q, want password", typ)
	}
	if n := len(list()); n != 0 {
		t.Fatalf("the server holds %d images after a tokenless upload", n)
	}

	// A second tab, open before the token is saved, marked so a reload
	// would show.
	other, cancelOther := chromedp.NewContext(ctx)
	t.Cleanup(cancelOther)
	if err := chromedp.Do(step(t, other),
		chromedp.Navigate(url+"/"),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		voidOf(chromedp.Evaluate[bool](`window.notReloaded = true`)),
	); err != nil {
		t.Fatalf("open a second tab: %v (status %q)", jsError(err), text(t, other, `document.getElementById('status').textContent`))
	}
	if s := text(t, other, `document.getElementById('token-state').textContent`); strings.Contains(s, "is saved") {
		t.Fatalf("the second tab says %q before any token was saved", s)
	}

	// Type the token and press Enter (the form's Save).
	if err := chromedp.Do(step(t, ctx), chromedp.KeyEvent(token), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatalf("type the token: %v", err)
	}
	if got := text(t, ctx, `localStorage.getItem('svgtrace.token') || ''`); got != token {
		t.Fatalf("localStorage holds token %q after saving %q", got, token)
	}
	// The other tab takes it without a reload (the storage event).
	if err := chromedp.Do(step(t, other),
		voidOf(chromedp.Poll[bool](`document.getElementById('token-state').textContent.includes('is saved') && window.notReloaded === true`)),
	); err != nil {
		t.Fatalf("the second tab did not take the saved token: %v", jsError(err))
	}
	// The new connection's welcome syncs the outbox with the token; the
	// hub's image.added puts the card on the page.
	waitAPI(t, url, "the waiting file uploaded and traced", func() bool {
		imgs := list()
		return len(imgs) == 1 && imgs[0].Status == "traced"
	})
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Poll[bool](`document.getElementById('outbox').hidden`)),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#gallery li').length === 1`)),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
	)
	if err != nil {
		screenshot(t, ctx, "gallery-token-sync-failed")
		t.Fatalf("the outbox did not sync with the token: %v", jsError(err))
	}
	if hidden := text(t, ctx, `String(document.getElementById('token-needed').hidden)`); hidden != "true" {
		t.Errorf("the token alert still shows after saving the token")
	}

	// The next upload goes by the hub's plan: "uploading" is the state a
	// card shows only after an assign, and a refused plan would have put
	// the file in the outbox again.
	err = chromedp.Do(step(t, ctx),
		voidOf(chromedp.Evaluate[bool](`(() => {
			window.seenStates = [];
			new MutationObserver(() => {
				for (const s of document.querySelectorAll('#gallery .state')) if (s.textContent) window.seenStates.push(s.textContent);
			}).observe(document.getElementById('gallery'), {subtree: true, childList: true, characterData: true});
			return true;
		})()`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{building}),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#gallery li').length === 2`)),
	)
	if err != nil {
		t.Fatalf("the second upload: %v", jsError(err))
	}
	waitAPI(t, url, "both images traced", func() bool {
		imgs := list()
		return len(imgs) == 2 && imgs[0].Status == "traced" && imgs[1].Status == "traced"
	})
	if states := text(t, ctx, `JSON.stringify([...new Set(window.seenStates)])`); !strings.Contains(states, `"uploading"`) {
		t.Errorf("the second card never showed \"uploading\" (the hub's plan); it showed %s", states)
	}
	if n := text(t, ctx, `String(document.querySelectorAll('#outbox li').length)`); n != "0" {
		t.Errorf("%s files in the outbox after an upload with the token", n)
	}
	// The hub took that plan from a connection whose URL holds no token:
	// it went in the subprotocol, and the hub selected the protocol's own.
	socketsMu.Lock()
	urls, selected := strings.Join(socketURLs, " "), strings.Join(protocols, " ")
	socketsMu.Unlock()
	if urls == "" || strings.Contains(urls, "token") {
		t.Errorf("the gallery's WebSocket URLs are %q: want some, none with the token", urls)
	}
	if !strings.HasSuffix(selected, "svgtrace.v1") {
		t.Errorf("the hub selected subprotocols %q, want svgtrace.v1 last", selected)
	}
	screenshot(t, ctx, "gallery-token-saved")

	// A reload keeps the token, and a delete from a card sends it.
	err = chromedp.Do(step(t, ctx),
		chromedp.Reload(),
		voidOf(chromedp.Poll[bool](`document.getElementById('status').textContent === 'online'`)),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#gallery li').length === 2`)),
	)
	if err != nil {
		t.Fatalf("reload: %v", jsError(err))
	}
	if got := text(t, ctx, `document.getElementById('token').value`); got != token {
		t.Errorf("the token field holds %q after a reload, want the saved token", got)
	}
	if s := text(t, ctx, `document.getElementById('token-state').textContent`); !strings.Contains(s, "saved") {
		t.Errorf("the token state says %q after a reload", s)
	}
	err = chromedp.Do(step(t, ctx),
		chromedp.Click(chromedp.CSS(`#gallery li .del`)),
		voidOf(chromedp.Poll[bool](`document.querySelectorAll('#gallery li').length === 1`)),
	)
	if err != nil {
		t.Fatalf("delete after the reload: %v", jsError(err))
	}
	if n := len(list()); n != 1 {
		t.Errorf("the server holds %d images after a delete with the token, want 1", n)
	}
	if hidden := text(t, ctx, `String(document.getElementById('token-needed').hidden)`); hidden != "true" {
		t.Errorf("the delete asked for the token again")
	}

	// Settings open at phone width: nothing scrolls sideways.
	err = chromedp.Do(step(t, ctx),
		chromedp.EmulateViewport(375, 700, chromedp.EmulateMobile),
		voidOf(chromedp.Evaluate[bool](`document.getElementById('settings').open = true`)),
	)
	if err != nil {
		t.Fatalf("phone width: %v", err)
	}
	if w, _ := strconv.Atoi(text(t, ctx, `String(document.documentElement.scrollWidth)`)); w > 375 {
		t.Errorf("at 375 px with Settings open the page is %d px wide", w)
	}
	screenshot(t, ctx, "gallery-token-phone")
}
