package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline/timelinetest"
	"github.com/regent-ha/regent/test/browser"
)

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
	ctx := browser.Start(t)
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/"), chromedp.WaitVisible(browser.CSS(`#clusters tbody tr`)))
	if rows := browser.Texts(t, ctx, `#clusters tbody tr`); len(rows) != 1 || !strings.Contains(rows[0], timelinetest.Cluster) {
		t.Fatalf("dashboard rows %q, want the cluster %s", rows, timelinetest.Cluster)
	}
	if c := browser.Texts(t, ctx, `#clusters td.count`); len(c) != 1 || c[0] != "3" {
		t.Errorf("instance count %q", c)
	}
	browser.Do(t, ctx, chromedp.Click(browser.CSS(`#clusters a`)), chromedp.WaitVisible(browser.CSS(`#tree .inst`)))
	got := browser.Texts(t, ctx, `#tree .inst .tokens`)
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
	ctx := browser.Start(t)
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(browser.CSS(`#tree .inst`)))
	browser.WaitJS(t, ctx, `document.getElementById('live').textContent === 'live'`, 5*time.Second)
	browser.Do(t, ctx, browser.Eval(`window.__same = 'not reloaded'`))
	start := time.Now()
	s.r.advance(len(tr.Items))
	good := timelinetest.Good + ":3306"
	browser.WaitJS(t, ctx, fmt.Sprintf(`(() => { const k = document.querySelector('#tree > li > .inst'); return k && k.dataset.key === %q &&
		!!document.querySelector('#timeline .tl-detection') && !!document.querySelector('#timeline .tl-recovery') })()`, good), 2*time.Second)
	t.Logf("failover shown %v after it was folded", time.Since(start).Round(time.Millisecond))
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__same || ''`)); err != nil || same != "not reloaded" {
		t.Fatal("the page reloaded")
	}
	browser.Do(t, ctx, browser.Eval(`document.querySelector('#timeline .why-recovery').focus()`), chromedp.KeyEvent("\r"))
	if !browser.WaitFor(ctx, `!!document.getElementById('why-successor')`, 3*time.Second) {
		t.Fatalf("no why panel: %q", browser.Texts(t, ctx, `#why-panel`))
	}
	if succ := browser.Texts(t, ctx, `#why-successor`); len(succ) != 1 || succ[0] != good {
		t.Errorf("why names successor %q, want %s", succ, good)
	}
	if rej := browser.Texts(t, ctx, `#why-rejected li`); len(rej) != 1 || !strings.Contains(rej[0], timelinetest.Banned) || !strings.Contains(rej[0], "must_not") {
		t.Errorf("why rejected %q, want %s (must_not)", rej, timelinetest.Banned)
	}
	// The slider to 3 s before the kill: the primary as it was.
	ago := int(time.Since(tr.Killed.Add(-3 * time.Second)).Seconds())
	browser.Do(t, ctx, browser.Eval(fmt.Sprintf(`const s = document.getElementById('at-slider'); s.value = %d; s.dispatchEvent(new Event('input'))`, -ago)))
	browser.WaitJS(t, ctx, fmt.Sprintf(`!!document.getElementById('asof') && document.querySelector('#tree > li > .inst') && document.querySelector('#tree > li > .inst').dataset.key === %q`,
		timelinetest.Primary+":3306"), 5*time.Second)
	if n := browser.Texts(t, ctx, `#tree .inst`); len(n) != 3 {
		t.Errorf("topology before the failover shows %d instances: %q", len(n), n)
	}
}

func TestBrowserRelocateByDragAndDrop(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	ctx := browser.Start(t)
	banned, good := timelinetest.Banned+":3306", timelinetest.Good+":3306"
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(browser.CSS(`#tree .inst`)))
	browser.WaitJS(t, ctx, `document.getElementById('live').textContent === 'live'`, 5*time.Second)
	browser.Do(t, ctx, browser.DragInstance(banned, good), chromedp.WaitVisible(browser.CSS(`#confirm-yes`)))
	if q := strings.Join(browser.Texts(t, ctx, `#dlg-body p`), " "); !strings.Contains(q, banned+" (now below "+timelinetest.Primary+":3306) will replicate from "+good) {
		t.Fatalf("the confirmation shows %q", q)
	}
	if len(s.ops.Calls()) != 0 {
		t.Fatalf("ran before confirmation: %v", s.ops.Calls())
	}
	browser.Do(t, ctx, chromedp.Click(browser.CSS(`#confirm-yes`)))
	browser.WaitJS(t, ctx, `document.getElementById('dlg-status').textContent.startsWith('Done:')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 1 || c[0] != "relocate "+banned+" "+good {
		t.Fatalf("operations %v", c)
	}
	browser.WaitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#tree .inst[data-key=%q] + ul .inst[data-key=%q]')`, good, banned), 2*time.Second)
	// A refused move says why and runs nothing.
	browser.Do(t, ctx, chromedp.Click(browser.CSS(`#confirm-no`)), browser.DragInstance(timelinetest.Primary+":3306", banned), chromedp.WaitVisible(browser.CSS(`#relocate-refused`)))
	if c := s.ops.Calls(); len(c) != 1 {
		t.Errorf("a refused move ran: %v", c)
	}
}

func TestBrowserReadOnlyUserSeesNoWriteControl(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{Method: "multi", User: "admin", Password: "pw"})
	ctx := browser.Start(t)
	browser.BasicAuth(t, ctx, "Basic "+base64.StdEncoding.EncodeToString([]byte("readonly:x")))
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/clusters"), chromedp.WaitVisible(browser.CSS(`#clusters tbody tr`)))
	if n := browser.Texts(t, ctx, `#toggle-global`); len(n) != 0 {
		t.Errorf("the dashboard offers the global-recoveries switch to a read-only user")
	}
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Cluster), chromedp.WaitVisible(browser.CSS(`#tree .inst`)),
		chromedp.Click(browser.CSS(`#tree .inst`)), chromedp.WaitVisible(browser.CSS(`#dlg-body dl`)))
	for _, sel := range []string{`button[data-op]`, `#graceful-takeover`, `#recover`, `[draggable="true"]`, `#downtime-go`, `#relocate-go`} {
		if n := browser.Texts(t, ctx, sel); len(n) != 0 {
			t.Errorf("read-only user sees %s", sel)
		}
	}
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/audit-recovery"), chromedp.WaitVisible(browser.CSS(`#recoveries`)))
	if n := browser.Texts(t, ctx, `button.ack`); len(n) != 0 {
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
	ctx := browser.Start(t)
	browser.Do(t, ctx, chromedp.Navigate(evil.URL))
	browser.WaitJS(t, ctx, `document.body && document.body.textContent.includes('cross-site request refused')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 0 {
		t.Fatalf("the forged write ran: %v", c)
	}
}

// The instance dialog opens from the keyboard and its controls run through
// the API after confirmation; a recovery is acknowledged from its page.
func TestBrowserInstanceDialogAndAcknowledge(t *testing.T) {
	s, tr := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	s.r.advance(len(tr.Items))
	ctx := browser.Start(t)
	banned := timelinetest.Banned + ":3306"
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/"+timelinetest.Good+":3306"), chromedp.WaitVisible(browser.CSS(`#tree .inst`)),
		browser.Eval(fmt.Sprintf(`document.querySelector('.inst[data-key=%q]').focus()`, banned)), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(browser.CSS(`#downtime-go`)))
	browser.Do(t, ctx, chromedp.SetValue(browser.CSS(`#dt-reason`), "disk swap"), chromedp.SetValue(browser.CSS(`#dt-duration`), "30m"),
		chromedp.Click(browser.CSS(`#downtime-go`)), chromedp.WaitVisible(browser.CSS(`#confirm-yes`)))
	if len(s.ops.Calls()) != 0 {
		t.Fatalf("ran before confirmation: %v", s.ops.Calls())
	}
	browser.Do(t, ctx, chromedp.Click(browser.CSS(`#confirm-yes`)))
	browser.WaitJS(t, ctx, `document.getElementById('dlg-status').textContent.startsWith('Done:')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 1 || c[0] != "downtime "+banned+" disk swap 30m0s" {
		t.Fatalf("operations %q", c)
	}
	browser.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/web/audit-recovery"), chromedp.WaitVisible(browser.CSS(`#recoveries button.ack`)),
		chromedp.SetValue(browser.CSS(`#recoveries input`), "known: lab kill"), chromedp.Click(browser.CSS(`#recoveries button.ack`)),
		chromedp.WaitVisible(browser.CSS(`#confirm-yes`)), chromedp.Click(browser.CSS(`#confirm-yes`)))
	browser.WaitJS(t, ctx, `document.getElementById('dlg-status').textContent.startsWith('Done:')`, 5*time.Second)
	if c := s.ops.Calls(); len(c) != 2 || c[1] != "ack "+tr.RecoveryID+" known: lab kill" {
		t.Fatalf("operations %q", c)
	}
}
