package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

//go:embed assets
var assets embed.FS

// Source is the fold the pages show.
type Source interface {
	// View is the current topology snapshot (immutable).
	View() *projections.View
	// Recoveries is a copy of the recovery fold.
	Recoveries() *analysis.Recoveries
	// Changed is closed on the next folded event.
	Changed() <-chan struct{}
}

// History reads the event log: the topology as Regent believed it at an
// instant (the fold of every record stored until then).
type History interface {
	ViewAt(ctx context.Context, at time.Time) (*projections.View, error)
}

// Options configure the web interface.
type Options struct {
	// History serves the "topology at" slider; nil answers that it is not
	// available.
	History History
	// StreamInterval is the shortest time between two "change" messages of
	// one stream (default 400 ms).
	StreamInterval time.Duration
	// StreamLifetime ends a stream (the browser reconnects; default 1 h).
	StreamLifetime time.Duration
	// Heartbeat is how often an idle stream sends a comment (default 15 s).
	Heartbeat time.Duration
	// HistoryBound bounds one "topology at" answer, its wait for another
	// read of the event log included (default 20 s).
	HistoryBound time.Duration
}

// Web serves the pages.
type Web struct {
	api   *api.Server
	src   Source
	opts  Options
	page  *template.Template
	files fs.FS
	// done is closed when the API server shuts down: the streams end.
	done     chan struct{}
	stopOnce sync.Once
	// history admits one read of the event log at a time (each reads the
	// whole events stream: many at once would load the node).
	history chan struct{}
}

// pages are the page names and their paths (orchestrator's).
var pages = map[string][]string{
	"clusters":                {"/web/clusters"},
	"cluster":                 {"/web/cluster/{clusterName}", "/web/cluster/alias/{alias}", "/web/cluster/instance/{host}/{port}"},
	"search":                  {"/web/search"},
	"audit-recovery":          {"/web/audit-recovery"},
	"audit-failure-detection": {"/web/audit-failure-detection"},
	"discover":                {"/web/discover"},
	"status":                  {"/web/status"},
}

// Register adds the web interface's routes to s.
func Register(s *api.Server, src Source, o Options) (*Web, error) {
	if o.StreamInterval <= 0 {
		o.StreamInterval = 400 * time.Millisecond
	}
	if o.StreamLifetime <= 0 {
		o.StreamLifetime = time.Hour
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.HistoryBound <= 0 {
		o.HistoryBound = 20 * time.Second
	}
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	t, err := template.ParseFS(files, "page.html")
	if err != nil {
		return nil, err
	}
	w := &Web{api: s, src: src, opts: o, page: t, files: files, done: make(chan struct{}), history: make(chan struct{}, 1)}
	s.OnShutdown(w.stop)
	s.Handle("GET /{$}", w.redirect)
	s.Handle("GET /web", w.redirect)
	s.Handle("GET /web/{$}", w.redirect)
	for name, paths := range pages {
		for _, p := range paths {
			s.Handle("GET "+p, w.servePage(name))
		}
	}
	s.Handle("GET /web/static/{file}", w.static)
	s.Handle("GET /web/stream", w.stream)
	w.registerData()
	return w, nil
}

// stop ends the streams (the server is shutting down).
func (w *Web) stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *Web) redirect(rw http.ResponseWriter, r *http.Request) {
	http.Redirect(rw, r, w.api.Prefix()+"/web/clusters", http.StatusFound)
}

// pageData fills page.html.
type pageData struct {
	Page, Title, Prefix, Arg, User string
	CanWrite                       bool
}

// securityHeaders: this origin's scripts and styles only, no framing
// (drag and drop in a hostile frame), no sniffing.
func securityHeaders(rw http.ResponseWriter) {
	h := rw.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

func (w *Web) servePage(name string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		d := pageData{Page: name, Title: titles[name], Prefix: w.api.Prefix(), User: w.api.User(r), CanWrite: w.api.MayWrite(r)}
		switch {
		case r.PathValue("clusterName") != "":
			d.Arg = r.PathValue("clusterName")
		case r.PathValue("alias") != "":
			d.Arg = r.PathValue("alias")
		case r.PathValue("host") != "":
			d.Arg = r.PathValue("host") + ":" + r.PathValue("port")
		default:
			d.Arg = r.URL.Query().Get("s")
		}
		securityHeaders(rw)
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store")
		if err := w.page.Execute(rw, d); err != nil {
			http.Error(rw, "render page "+name+": "+err.Error(), http.StatusInternalServerError)
		}
	}
}

var titles = map[string]string{
	"clusters": "Clusters", "cluster": "Cluster", "search": "Search", "audit-recovery": "Recoveries",
	"audit-failure-detection": "Failure detections", "discover": "Discover", "status": "Status",
}

// static serves the embedded CSS and JavaScript.
func (w *Web) static(rw http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(w.files, name)
	if err != nil || name == "page.html" {
		http.NotFound(rw, r)
		return
	}
	switch {
	case len(name) > 3 && name[len(name)-3:] == ".js":
		rw.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case len(name) > 4 && name[len(name)-4:] == ".css":
		rw.Header().Set("Content-Type", "text/css; charset=utf-8")
	case len(name) > 4 && name[len(name)-4:] == ".svg":
		rw.Header().Set("Content-Type", "image/svg+xml")
	}
	securityHeaders(rw)
	rw.Header().Set("Cache-Control", "no-cache")
	_, _ = rw.Write(b)
}
