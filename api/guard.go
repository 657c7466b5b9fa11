package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/regent-ha/regent/events"
)

// The rules every route that changes something follows (HandleWrite):
//
//   - GET and POST run it; HEAD never does (405 with Allow: GET, POST).
//   - A cross-site browser request is refused (403) before anything else:
//     Sec-Fetch-Site other than same-origin or none, or an Origin header
//     whose host is not the API's own (the request's Host, an
//     X-Forwarded-Host set by a proxy or by a follower forwarding the
//     write, or Options.Advertise). Requests without these headers (curl,
//     orchestrator-client, scripts) are not browser requests and pass.
//   - Instance keys in the path are checked (checkKeys, 400).
//
// A browser cannot add X-Forwarded-Host or any other custom header to a
// cross-site request without a CORS preflight, which this API never
// grants, so trusting it cannot be turned against the check.

// writeGuard wraps a write route's handler with the method and cross-site
// rules.
func (s *Server) writeGuard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("Allow", "GET, POST")
			writeJSON(w, http.StatusMethodNotAllowed, Response{Code: "ERROR",
				Message: "HEAD never changes anything: use GET or POST for " + r.URL.Path})
			return
		}
		if err := s.crossSite(r); err != nil {
			writeJSON(w, http.StatusForbidden, Response{Code: "ERROR",
				Message: "cross-site request refused: " + err.Error() + "; writes are accepted from this API's own origin or from non-browser clients"})
			return
		}
		h(w, r)
	}
}

// crossSite says why r is a browser request from another site, or nil.
func (s *Server) crossSite(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("header Sec-Fetch-Site is %s", events.Quote(site))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("header Origin %s is not an http(s) origin", events.Quote(origin))
	}
	own := []string{r.Host, s.opts.Advertise}
	for _, fh := range r.Header.Values("X-Forwarded-Host") {
		for h := range strings.SplitSeq(fh, ",") {
			own = append(own, strings.TrimSpace(h))
		}
	}
	for _, h := range own {
		if h != "" && sameHost(u, h) {
			return nil
		}
	}
	return fmt.Errorf("header Origin %s is not this API's (%s)", events.Quote(origin), events.Quote(r.Host))
}

// sameHost reports whether origin's host:port is host (host:port, or a
// host alone for the scheme's default port), ignoring case.
func sameHost(origin *url.URL, host string) bool {
	o := strings.ToLower(origin.Host)
	h := strings.ToLower(host) // Host, X-Forwarded-Host and Advertise carry no scheme
	def := ":80"
	if origin.Scheme == "https" {
		def = ":443"
	}
	return strings.TrimSuffix(o, def) == strings.TrimSuffix(h, def)
}

// keyParams are the path parameters that name an instance: its host and
// port, and a destination's.
var keyParams = [][2]string{{"host", "port"}, {"dhost", "dport"}}

// textParams are the free-text path parameters that end up in events,
// with their longest accepted length; ?comment (acknowledgements) is
// checked as "comment".
var textParams = []struct {
	name string
	max  int
}{{"owner", events.MaxTextLen}, {"reason", maxReasonLen}}

// maxReasonLen bounds a downtime or maintenance reason and an
// acknowledgement comment.
const maxReasonLen = 1024

// checkKeys wraps h, when path has instance key or text parameters, with
// their check (events.ValidHost, events.ParsePort, events.ValidText on
// the text without surrounding white space, which the handler then reads): a
// bad one answers 400 with orchestrator's envelope naming the parameter,
// and h does not run.
func checkKeys(path string, h http.HandlerFunc) http.HandlerFunc {
	var keys [][2]string
	for _, p := range keyParams {
		if strings.Contains(path, "{"+p[0]+"}") {
			keys = append(keys, p)
		}
	}
	var texts []int // indexes in textParams, in its order (the 400 names the first bad one)
	for i, p := range textParams {
		if strings.Contains(path, "{"+p.name+"}") {
			texts = append(texts, i)
		}
	}
	if len(keys) == 0 && len(texts) == 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		for _, p := range keys {
			if err := events.ValidHost(r.PathValue(p[0])); err != nil {
				respondBadParameter(w, p[0], err)
				return
			}
			if _, err := events.ParsePort(r.PathValue(p[1])); err != nil {
				respondBadParameter(w, p[1], err)
				return
			}
		}
		for _, i := range texts {
			p := textParams[i]
			// orchestrator-client's urlencode sends the owner and reason
			// with a trailing %0A: surrounding white space is dropped.
			v := strings.TrimSpace(r.PathValue(p.name))
			r.SetPathValue(p.name, v)
			if err := events.ValidText(v, p.max); err != nil {
				respondBadParameter(w, p.name, err)
				return
			}
		}
		h(w, r)
	}
}

// BadParameter is the Details of a 400 answer: which path parameter was
// refused and why.
type BadParameter struct {
	Parameter string
	Error     string
}

// respondBadParameter answers 400 with the ERROR envelope naming param.
func respondBadParameter(w http.ResponseWriter, param string, err error) {
	writeJSON(w, http.StatusBadRequest, Response{Code: "ERROR",
		Message: fmt.Sprintf("invalid {%s}: %v", param, err), Details: BadParameter{Parameter: param, Error: err.Error()}})
}
