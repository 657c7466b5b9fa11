package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline/timelinetest"
)

// browser starts a headless Chromium (Debian's chromium package, which
// scripts/install-deps installs) for one test; it fails, never skips,
// when Chromium is missing.
func browser(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("browser tests need Chromium: install Debian's chromium package (make deps, or apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// css is a CSS selector (a plain string would be a DOM search).
func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// eval runs a script for its effects.
func eval(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("(() => {"+script+"; return true })()")(ctx, t)
		return err
	})
}

func run(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// texts returns the text of every element matching sel.
func texts(t testing.TB, ctx context.Context, sel string) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent)`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls a JavaScript condition every 50 ms until it holds (true)
// or within passes (false).
func waitFor(ctx context.Context, cond string, within time.Duration) bool {
	for start := time.Now(); time.Since(start) < within; time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return true
		}
	}
	return false
}

// waitJS polls a JavaScript condition every 50 ms until it holds or
// within passes; it returns how long it took.
func waitJS(t testing.TB, ctx context.Context, cond string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not within %v: %s", within, cond)
	return 0
}

func tokenLines(t testing.TB, v *projections.View) []string {
	t.Helper()
	text, err := projections.RenderTopology(v, timelinetest.Cluster, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(text, "\n") {
		out = append(out, l[strings.Index(l, "["):])
	}
	return out
}

func TestBrowserDashboardAndTopologyTokens(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/"), chromedp.WaitVisible(css(`#clusters tbody tr`)))
	if rows := texts(t, ctx, `#clusters tbody tr`); len(rows) != 1 || !strings.Contains(rows[0], timelinetest.Cluster) {
		t.Fatalf("dashboard rows %q, want the cluster %s", rows, timelinetest.Cluster)
	}
	if c := texts(t, ctx, `#clusters td.count`); len(c) != 1 || c[0] != "3" {
		t.Errorf("instance count %q", c)
	}
	run(t, ctx, chromedp.Click(css(`#clusters a`)), chromedp.WaitVisible(css(`#tree .inst`)))
	got := texts(t, ctx, `#tree .inst .tokens`)
	want := tokenLines(t, s.r.View())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cluster page tokens\n%s\nwant (topology)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The primary's death, folded while the page is open, shows without a
// reload: the new primary at the root and the detection and recovery in
// the timeline, within 2 s; then the why panel and the time slider.
func TestBrowserFailoverLiveWhyAndSlider(t *testing.T) {
	s, tr := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(css(`#tree .inst`)))
	waitJS(t, ctx, `document.getElementById('live').textContent === 'live'`, 5*time.Second)
	run(t, ctx, eval(`window.__same = 'not reloaded'`))
	start := time.Now()
	s.r.advance(len(tr.Items))
	good := timelinetest.Good + ":3306"
	waitJS(t, ctx, fmt.Sprintf(`(() => { const k = document.querySelector('#tree > li > .inst'); return k && k.dataset.key === %q &&
		!!document.querySelector('#timeline .tl-detection') && !!document.querySelector('#timeline .tl-recovery') })()`, good), 2*time.Second)
	t.Logf("failover shown %v after it was folded", time.Since(start).Round(time.Millisecond))
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__same || ''`)); err != nil || same != "not reloaded" {
		t.Fatal("the page reloaded")
	}
	run(t, ctx, eval(`document.querySelector('#timeline .why-recovery').focus()`), chromedp.KeyEvent("\r"))
	if !waitFor(ctx, `!!document.getElementById('why-successor')`, 3*time.Second) {
		t.Fatalf("no why panel: %q", texts(t, ctx, `#why-panel`))
	}
	if succ := texts(t, ctx, `#why-successor`); len(succ) != 1 || succ[0] != good {
		t.Errorf("why names successor %q, want %s", succ, good)
	}
	if rej := texts(t, ctx, `#why-rejected li`); len(rej) != 1 || !strings.Contains(rej[0], timelinetest.Banned) || !strings.Contains(rej[0], "must_not") {
		t.Errorf("why rejected %q, want %s (must_not)", rej, timelinetest.Banned)
	}
	// The slider to 3 s before the kill: the primary as it was.
	ago := int(time.Since(tr.Killed.Add(-3 * time.Second)).Seconds())
	run(t, ctx, eval(fmt.Sprintf(`const s = document.getElementById('at-slider'); s.value = %d; s.dispatchEvent(new Event('input'))`, -ago)))
	waitJS(t, ctx, fmt.Sprintf(`!!document.getElementById('asof') && document.querySelector('#tree > li > .inst') && document.querySelector('#tree > li > .inst').dataset.key === %q`,
		timelinetest.Primary+":3306"), 5*time.Second)
	if n := texts(t, ctx, `#tree .inst`); len(n) != 3 {
		t.Errorf("topology before the failover shows %d instances: %q", len(n), n)
	}
}

// dragTo drags the instance from onto to with the mouse (a native drag).
func dragTo(from, to string) chromedp.Action[chromedp.Void] {
	return chromedp.DragAndDrop(css(fmt.Sprintf(`.inst[data-key=%q]`, from)), css(fmt.Sprintf(`.inst[data-key=%q]`, to)))
}

func TestBrowserRelocateByDragAndDrop(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	ctx := browser(t)
	banned, good := timelinetest.Banned+":3306", timelinetest.Good+":3306"
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(css(`#tree .inst`)))
	waitJS(t, ctx, `document.getElementById('live').textContent === 'live'`, 5*time.Second)
	run(t, ctx, dragTo(banned, good), chromedp.WaitVisible(css(`#confirm-yes`)))
	if q := strings.Join(texts(t, ctx, `#dlg-body p`), " "); !strings.Contains(q, banned+" (now below "+timelinetest.Primary+":3306) will replicate from "+good) {
		t.Fatalf("the confirmation shows %q", q)
	}
	if len(s.ops.Calls()) != 0 {
		t.Fatalf("ran before confirmation: %v", s.ops.Calls())
	}
	run(t, ctx, chromedp.Click(css(`#confirm-yes`)))
	waitJS(t, ctx, `document.getElementById('dlg-status').textContent.startsWith('Done:')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 1 || c[0] != "relocate "+banned+" "+good {
		t.Fatalf("operations %v", c)
	}
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#tree .inst[data-key=%q] + ul .inst[data-key=%q]')`, good, banned), 2*time.Second)
	// A refused move says why and runs nothing.
	run(t, ctx, chromedp.Click(css(`#confirm-no`)), dragTo(timelinetest.Primary+":3306", banned), chromedp.WaitVisible(css(`#relocate-refused`)))
	if c := s.ops.Calls(); len(c) != 1 {
		t.Errorf("a refused move ran: %v", c)
	}
}

func TestBrowserReadOnlyUserSeesNoWriteControl(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{Method: "multi", User: "admin", Password: "pw"})
	ctx := browser(t)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("readonly:x"))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/web/clusters"), chromedp.WaitVisible(css(`#clusters tbody tr`)))
	if n := texts(t, ctx, `#toggle-global`); len(n) != 0 {
		t.Errorf("the dashboard offers the global-recoveries switch to a read-only user")
	}
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(css(`#tree .inst`)),
		chromedp.Click(css(`#tree .inst`)), chromedp.WaitVisible(css(`#dlg-body dl`)))
	for _, sel := range []string{`button[data-op]`, `#graceful-takeover`, `#recover`, `[draggable="true"]`, `#downtime-go`, `#relocate-go`} {
		if n := texts(t, ctx, sel); len(n) != 0 {
			t.Errorf("read-only user sees %s", sel)
		}
	}
	run(t, ctx, chromedp.Navigate(s.srv.URL+"/web/audit-recovery"), chromedp.WaitVisible(css(`#recoveries`)))
	if n := texts(t, ctx, `button.ack`); len(n) != 0 {
		t.Errorf("read-only user sees acknowledge buttons")
	}
}

// A page of another origin posting a form to the API is refused and
// changes nothing.
func TestBrowserForgedCrossSiteWriteRefused(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	target := s.srv.URL + "/api/relocate/" + timelinetest.Banned + "/3306/" + timelinetest.Good + "/3306"
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s"></form><script>document.getElementById('f').submit()</script>`, target)
	}))
	t.Cleanup(evil.Close)
	ctx := browser(t)
	run(t, ctx, chromedp.Navigate(evil.URL))
	waitJS(t, ctx, `document.body && document.body.textContent.includes('cross-site request refused')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 0 {
		t.Fatalf("the forged write ran: %v", c)
	}
}
