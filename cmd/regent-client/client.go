package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// defaultAPI is orchestrator-client's default endpoint (Regent listens on
// :3000 by default too).
const defaultAPI = "http://localhost:3000"

// leaderCheckTimeout bounds each leader-check probe (curl -m 1).
const leaderCheckTimeout = time.Second

// maxBody caps how much of a response is read (topologies of thousands of
// instances fit comfortably).
const maxBody = 64 << 20

// session is one invocation: options, the chosen API base and the app.
type session struct {
	*app
	opts *options
	base string       // chosen API base, ".../api", set by resolveAPI
	tlsc *http.Client // httpc with the REGENT_TLS_* settings, built on first use
}

// apiError is an ERROR envelope returned by the server.
type apiError struct {
	message string
	details json.RawMessage
	raw     json.RawMessage // the whole response
}

func (e *apiError) Error() string { return e.message }

// reply is a successful response: either bare data or an OK envelope.
type reply struct {
	body     json.RawMessage // the whole response ("null" when empty)
	envelope bool
	message  string          // envelope Message
	details  json.RawMessage // envelope Details (nil when bare)
}

// endpoints lists the configured API URLs: -U, else REGENT_API, else
// ORCHESTRATOR_API, else the default. Each may hold several URLs.
func (s *session) endpoints() string {
	for _, v := range []string{s.opts.api, s.getenv("REGENT_API"), s.getenv("ORCHESTRATOR_API")} {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return defaultAPI
}

// normalizeAPI appends "/api" unless the URL already ends with it.
func normalizeAPI(u string) string {
	u = strings.TrimRight(u, "/")
	if !strings.HasSuffix(u, "/api") {
		u += "/api"
	}
	return u
}

// maskURL hides a password embedded in a URL.
func maskURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

func maskAll(list string) string {
	f := strings.Fields(list)
	for i := range f {
		f[i] = maskURL(f[i])
	}
	return strings.Join(f, " ")
}

// resolveAPI picks the API base. One URL is used as is (it may be a proxy
// that routes to the leader). With several, the first answering 200 to
// leader-check wins, then the first answering 200 to routed-leader-check.
func (s *session) resolveAPI(ctx context.Context) error {
	configured := s.endpoints()
	urls := strings.Fields(configured)
	if len(urls) == 1 {
		s.base = normalizeAPI(urls[0])
		return nil
	}
	for _, check := range []string{"leader-check", "routed-leader-check"} {
		for _, u := range urls {
			u = normalizeAPI(u)
			switch s.probe(ctx, u+"/"+check) {
			case http.StatusOK:
				s.base = u
				return nil
			case http.StatusUnauthorized:
				s.base = u
				return s.cannotAccess(errors.New("HTTP 401 Unauthorized"))
			}
		}
	}
	return failf("Cannot determine leader from %s", maskAll(configured))
}

// probe returns the HTTP status of a leader check, 0 on any error.
func (s *session) probe(ctx context.Context, u string) int {
	ctx, cancel := context.WithTimeout(ctx, leaderCheckTimeout)
	defer cancel()
	status, _, err := s.fetch(ctx, u)
	if err != nil {
		return 0
	}
	return status
}

// fetch performs one authenticated GET and returns status and body.
func (s *session) fetch(ctx context.Context, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	if err := s.authorize(req); err != nil {
		return 0, nil, err
	}
	c, err := s.client()
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("get %s: %w", maskURL(u), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response of %s: %w", maskURL(u), err)
	}
	return resp.StatusCode, body, nil
}

// client is the HTTP client for https URLs of a Regent serving UseSSL:
// REGENT_TLS_CA_FILE trusts that CA (beside the system's; Go also honours
// SSL_CERT_FILE), REGENT_TLS_CERT_FILE and REGENT_TLS_KEY_FILE present a
// client certificate (UseMutualTLS), REGENT_TLS_SKIP_VERIFY=1 skips server
// verification like curl -k. Without any of them it is the app's client.
func (s *session) client() (*http.Client, error) {
	if s.tlsc != nil {
		return s.tlsc, nil
	}
	ca, cert, key := s.getenv("REGENT_TLS_CA_FILE"), s.getenv("REGENT_TLS_CERT_FILE"), s.getenv("REGENT_TLS_KEY_FILE")
	skip := s.getenv("REGENT_TLS_SKIP_VERIFY")
	if ca == "" && cert == "" && key == "" && skip == "" {
		return s.httpc, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skip == "1" || strings.EqualFold(skip, "true")}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, failf("REGENT_TLS_CA_FILE: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, failf("REGENT_TLS_CA_FILE %s: no PEM certificate found", ca)
		}
		tc.RootCAs = pool
	}
	if cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, failf("REGENT_TLS_CERT_FILE/REGENT_TLS_KEY_FILE: %v", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	c := *s.httpc
	c.Transport = tr
	s.tlsc = &c
	return s.tlsc, nil
}

// authorize adds header auth (-e / ORCHESTRATOR_AUTH_USER_HEADER), else
// basic auth (-b / ORCHESTRATOR_AUTH_USER:ORCHESTRATOR_AUTH_PASSWORD).
func (s *session) authorize(req *http.Request) error {
	if h := s.opts.headersAuth; h != "" {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return failf("headers-auth must look like \"Header-Name: value\", got %q", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
		return nil
	}
	if a := s.opts.auth; a != "" && a != ":" {
		user, pass, _ := strings.Cut(a, ":")
		req.SetBasicAuth(user, pass)
	}
	return nil
}

// cannotAccess is orchestrator-client's message when the API is unusable.
func (s *session) cannotAccess(detail error) error {
	where := s.base
	if where == "" {
		where = s.endpoints()
	}
	msg := fmt.Sprintf("Cannot access orchestrator at %s.  Check ORCHESTRATOR_API is configured correctly and orchestrator is running", maskAll(where))
	if detail != nil {
		return fmt.Errorf("%s (%w)", msg, detail)
	}
	return errors.New(msg)
}

// get calls <base>/<path>. A network error or a body that is not JSON is
// retried on orchestrator-client's schedule; any JSON answer (HTTP 500
// envelopes included) is final. 401 fails at once, and so does a 404/405
// whose body is not JSON (an endpoint this server does not have).
func (s *session) get(ctx context.Context, path string) (reply, error) {
	u := s.base + "/" + strings.TrimPrefix(path, "/")
	var last error
	for attempt := 0; ; attempt++ {
		status, body, err := s.fetch(ctx, u)
		switch {
		case err != nil:
			last = err
		case status == http.StatusUnauthorized:
			return reply{}, s.cannotAccess(errors.New("HTTP 401 Unauthorized"))
		case len(bytes.TrimSpace(body)) == 0 && status < 300:
			return parseReply([]byte("null"))
		case json.Valid(body):
			return parseReply(body)
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			return reply{}, failf("API path not found: %s (HTTP %d)", maskURL(u), status)
		default:
			last = fmt.Errorf("HTTP %d with a body that is not JSON: %q", status, truncate(body, 120))
		}
		if attempt >= len(s.delays) || ctx.Err() != nil {
			return reply{}, s.cannotAccess(last)
		}
		if err := s.sleep(ctx, s.delays[attempt]); err != nil {
			return reply{}, s.cannotAccess(err)
		}
	}
}

// parseReply applies orchestrator-client's reading of a response: arrays,
// strings, scalars and objects without a Code key are data; an object with a
// Code containing ERROR is an apiError; otherwise Details is kept.
func parseReply(body []byte) (reply, error) {
	body = bytes.TrimSpace(body)
	r := reply{body: body}
	if len(body) == 0 || body[0] != '{' {
		return r, nil
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return r, failf("decode response: %v", err)
	}
	code, ok := env["Code"]
	if !ok {
		return r, nil
	}
	r.envelope = true
	r.details = env["Details"]
	r.message = jqText(env["Message"])
	if strings.Contains(string(code), "ERROR") {
		return r, &apiError{message: r.message, details: r.details, raw: body}
	}
	return r, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
