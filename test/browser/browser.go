// Package browser drives a headless Chromium for the web interface's
// tests (chromedp): Debian's chromium package, which scripts/install-deps
// installs. A test that needs it fails, never skips, when it is missing.
//
// Concurrency: one Chromium per Start, owned by the test (stopped by
// t.Cleanup); the helpers run on that test's goroutine.
package browser

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Bound is how long one test may drive its browser.
const Bound = 5 * time.Minute

// Start starts a headless Chromium at 1280×800 for t.
func Start(t testing.TB) context.Context {
	t.Helper()
	return StartSized(t, 1280, 800)
}

// StartSized starts a headless Chromium with a w×h window for t, for
// Bound.
func StartSized(t testing.TB, w, h int) context.Context {
	t.Helper()
	return StartFor(t, w, h, Bound)
}

// StartFor starts a headless Chromium with a w×h window for t, stopped
// after bound.
func StartFor(t testing.TB, w, h int, bound time.Duration) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("the web interface's browser tests need Chromium: install Debian's chromium package (make deps, or apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(w, h), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, bound)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// CSS is a CSS selector (a plain string would be a DOM search).
func CSS(s string) chromedp.CSS { return chromedp.CSS(s) }

// Eval runs a script for its effects.
func Eval(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("(() => {"+script+"; return true })()")(ctx, t)
		return err
	})
}

// Do runs the actions or fails t.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Texts returns the text of every element matching the CSS selector sel.
func Texts(t testing.TB, ctx context.Context, sel string) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent)`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// WaitFor polls a JavaScript condition every 50 ms until it holds (true)
// or within passes (false).
func WaitFor(ctx context.Context, cond string, within time.Duration) bool {
	for start := time.Now(); time.Since(start) < within; time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return true
		}
	}
	return false
}

// WaitJS is WaitFor that fails t; it returns how long the condition took.
func WaitJS(t testing.TB, ctx context.Context, cond string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if !WaitFor(ctx, cond, within) {
		t.Fatalf("not within %v: %s", within, cond)
	}
	return time.Since(start)
}

// DragInstance drags the instance box with key from onto the one with key
// to, with the mouse (a native drag and drop).
func DragInstance(from, to string) chromedp.Action[chromedp.Void] {
	return chromedp.DragAndDrop(CSS(fmt.Sprintf(`.inst[data-key=%q]`, from)), CSS(fmt.Sprintf(`.inst[data-key=%q]`, to)))
}

// BasicAuth sends an Authorization header with every request of the tab.
func BasicAuth(t testing.TB, ctx context.Context, header string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": header}}); err != nil {
		t.Fatal(err)
	}
}
