// Package headless is how svgtrace's browser tests and browser benchmark
// find and start Chromium (Debian's package): one set of flags, so the two
// measure and test the same browser setup.
//
// The flags make it work here and keep it quiet: headless, no sandbox (the
// tests run as root in CI), no GPU, no first-run or default-browser
// prompts, nothing in the background (networking, component updates, sync,
// extensions), no throttling of timers or of a background renderer (a
// benchmark's page must not be slowed for being unfocused), /tmp instead
// of a small /dev/shm, colours in sRGB (screenshots compare alike), and a
// fixed window size.
package headless

import (
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Find returns the path of the Chromium binary on PATH, "" when there is
// none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Options are the allocator options for the Chromium at path with a fresh
// profile in dir.
func Options(path, dir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1024, 900),
	}
}
