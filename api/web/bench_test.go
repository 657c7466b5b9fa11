package web

import (
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/timeline"
	"github.com/regent-ha/regent/test/browser"
)

// openFor is how long BenchmarkBrowserPageOpen keeps the page open.
var openFor = flag.Duration("open-for", 10*time.Minute, "BenchmarkBrowserPageOpen: how long the cluster page stays open")

// fleetItems are the observations of clusters×size simulated MariaDB
// instances: each cluster a primary, mid intermediates below it and the
// rest spread below those (mid 0: all below the primary).
func fleetItems(tb testing.TB, clusters, size, mid int, at time.Time) []timeline.Item {
	tb.Helper()
	var items []timeline.Item
	add := func(o *events.InstanceObserved) {
		env, err := events.New(events.KindInstanceObserved, at, "c1", o)
		if err != nil {
			tb.Fatal(err)
		}
		env.Instance = o.Key.String()
		items = append(items, timeline.Item{Stream: events.ObservationsName, Seq: uint64(len(items) + 1), Stored: at, Env: env})
	}
	for c := range clusters {
		primary := events.InstanceKey{Hostname: fmt.Sprintf("db-%04d-0", c), Port: 3306}
		p := replicaOf(primary, primary)
		p.Replication, p.ReadOnly, p.Digest = nil, false, "d-"+primary.Hostname
		add(p)
		for i := 1; i < size; i++ {
			k := events.InstanceKey{Hostname: fmt.Sprintf("db-%04d-%d", c, i), Port: 3306}
			src := primary
			if mid > 0 && i > mid {
				src = events.InstanceKey{Hostname: fmt.Sprintf("db-%04d-%d", c, 1+i%mid), Port: 3306}
			}
			add(replicaOf(k, src))
		}
	}
	return items
}

// benchRender loads path in headless Chromium b.N times and waits until
// ready holds; it reports the milliseconds per load.
func benchRender(b *testing.B, items []timeline.Item, path, ready string) {
	r := newReplay(b, items, len(items))
	s := serveReplay(b, r, api.AuthOptions{}, nil)
	ctx := browser.Start(b)
	browser.Do(b, ctx, chromedp.Navigate(s.srv.URL+path)) // warm the browser's cache of the assets
	browser.WaitJS(b, ctx, ready, 30*time.Second)
	var worst time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		browser.Do(b, ctx, chromedp.Navigate(s.srv.URL+path))
		browser.WaitJS(b, ctx, ready, 30*time.Second)
		worst = max(worst, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/render")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
	if worst > time.Second {
		b.Errorf("%s rendered in %v, want under 1 s", path, worst)
	}
}

// BenchmarkBrowserDashboard1000: the clusters dashboard with 1,000
// instances (250 clusters of 4), from navigation to every row drawn.
func BenchmarkBrowserDashboard1000(b *testing.B) {
	items := fleetItems(b, 250, 4, 0, time.Now())
	benchRender(b, items, "/web/clusters", `document.querySelectorAll('#clusters tbody tr').length === 250`)
}

// BenchmarkBrowserCluster200: a 200-instance cluster page (a primary, 9
// intermediates, 190 replicas below them), from navigation to every box
// of the tree drawn.
func BenchmarkBrowserCluster200(b *testing.B) {
	items := fleetItems(b, 1, 200, 9, time.Now())
	benchRender(b, items, "/web/cluster/db-0000-0:3306", `document.querySelectorAll('#tree .inst').length === 200`)
}

// BenchmarkBrowserPageOpen leaves a cluster page open for -open-for
// (10 min) while the fold changes twice a second: it reports the stream
// connections the page opened (want 1) and the page's JavaScript heap
// after garbage collection at one minute and at the end.
func BenchmarkBrowserPageOpen(b *testing.B) {
	items := fleetItems(b, 1, 20, 3, time.Now())
	r := newReplay(b, items, len(items))
	var opened, open, maxOpen atomic.Int64
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if strings.HasSuffix(req.URL.Path, "/web/stream") {
				opened.Add(1)
				n := open.Add(1)
				defer open.Add(-1)
				for m := maxOpen.Load(); n > m && !maxOpen.CompareAndSwap(m, n); m = maxOpen.Load() {
				}
			}
			h.ServeHTTP(w, req)
		})
	}
	s := serveReplay(b, r, api.AuthOptions{}, count)
	ctx := browser.StartFor(b, 1280, 800, *openFor+2*time.Minute)
	browser.Do(b, ctx, chromedp.Navigate(s.srv.URL+"/web/cluster/db-0000-0:3306"))
	browser.WaitJS(b, ctx, `document.querySelectorAll('#tree .inst').length === 20`, 30*time.Second)
	heap := func() float64 {
		if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			b.Fatal(err)
		}
		u, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			b.Fatal(err)
		}
		return u.UsedSize
	}
	var warm float64
	start := time.Now()
	for i := 0; time.Since(start) < *openFor; i++ {
		key := events.InstanceKey{Hostname: fmt.Sprintf("db-0000-%d", 1+i%19), Port: 3306}
		o := replicaOf(key, events.InstanceKey{Hostname: "db-0000-0", Port: 3306})
		lag := int64(i % 7)
		o.LagSeconds, o.Replication.SecondsBehind, o.Digest = &lag, &lag, fmt.Sprintf("d-%s-%d", key.Hostname, i)
		r.append(b, events.KindInstanceObserved, key.String(), o)
		if warm == 0 && time.Since(start) > min(time.Minute, *openFor/2) {
			warm = heap()
		}
		time.Sleep(500 * time.Millisecond)
	}
	end := heap()
	b.ReportMetric(float64(opened.Load()), "streams-opened")
	b.ReportMetric(float64(maxOpen.Load()), "streams-max-open")
	b.ReportMetric(warm/1e6, "heap-MB-warm")
	b.ReportMetric(end/1e6, "heap-MB-end")
	if opened.Load() != 1 {
		b.Errorf("the page opened %d stream connections, want 1", opened.Load())
	}
	if end > warm*1.5+1e6 {
		b.Errorf("the page's heap grew from %.1f MB to %.1f MB", warm/1e6, end/1e6)
	}
}
