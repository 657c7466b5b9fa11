package web

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/projections/timeline/timelinetest"
	"github.com/regent-ha/regent/test/browser"
)

// screenshots is where TestScreenshots writes its PNGs; `make
// screenshots` sets it to docs/web.
var screenshots = flag.String("screenshots", "", "write the web interface's screenshots (PNG) into this directory")

// shot is one screenshot: a page, what to do on it, the file.
type shot struct {
	file, path string
	w, h       int
	then       []chromedp.Action[chromedp.Void]
	ready      string // JavaScript condition before the capture
}

// TestScreenshots takes a screenshot of each page over a failover
// transcript (into a temporary directory unless -screenshots is given)
// and checks each is a PNG.
func TestScreenshots(t *testing.T) {
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, tr := newSite(t, time.Now().Add(-2*time.Minute), api.AuthOptions{})
	s.r.advance(len(tr.Items))
	cluster := "/web/cluster/" + timelinetest.Good + ":3306"
	why := browser.Eval(`document.querySelector('#timeline .why-recovery').click()`)
	shots := []shot{
		{file: "clusters.png", path: "/web/clusters", ready: `!!document.querySelector('#clusters tbody tr')`},
		{file: "cluster.png", path: cluster, then: []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(browser.CSS(`#timeline .why-recovery`)), why}, ready: `!!document.getElementById('why-successor')`},
		{file: "cluster-phone.png", path: cluster, w: 390, h: 844, ready: `!!document.querySelector('#tree .inst')`},
		{file: "instance-dialog.png", path: cluster, then: []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(browser.CSS(`#tree .inst`)),
			browser.Eval(`document.querySelectorAll('#tree .inst')[1].click()`)}, ready: `!!document.querySelector('#dlg-body dl') && !!document.querySelector('#downtime-go')`},
		{file: "relocate-confirm.png", path: cluster, then: []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(browser.CSS(`#tree .inst`)),
			browser.Eval(`document.querySelectorAll('#tree .inst')[1].click()`), chromedp.WaitVisible(browser.CSS(`#relocate-go`)),
			browser.Eval(`document.getElementById('relocate-go').click()`)}, ready: `!!document.getElementById('confirm-yes')`},
		{file: "audit-recovery.png", path: "/web/audit-recovery", ready: `!!document.querySelector('#recoveries tbody tr')`},
		{file: "audit-failure-detection.png", path: "/web/audit-failure-detection", ready: `!!document.querySelector('#detections tbody tr')`},
		{file: "search.png", path: "/web/search?s=198.18", ready: `!!document.querySelector('#results tbody tr')`},
		{file: "discover.png", path: "/web/discover", ready: `!!document.getElementById('d-host')`},
		{file: "status.png", path: "/web/status", ready: `!!document.querySelector('#nodes li')`},
	}
	for _, sh := range shots {
		w, h := sh.w, sh.h
		if w == 0 {
			w, h = 1280, 800
		}
		ctx := browser.StartSized(t, w, h)
		browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+sh.path))
		browser.Do(t, ctx, sh.then...)
		browser.WaitJS(t, ctx, sh.ready, 10*time.Second)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("%s: %v", sh.file, err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 2000 {
			t.Fatalf("%s: not a PNG of a page (%d bytes)", sh.file, len(png))
		}
		if err := os.WriteFile(filepath.Join(dir, sh.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
