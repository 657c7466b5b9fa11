package api

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
)

// AuthOptions mirror orchestrator's keys.
type AuthOptions struct {
	Method         string // "", "basic", "multi", "proxy"
	User, Password string // HTTPAuthUser / HTTPAuthPassword
	UserHeader     string // AuthUserHeader (proxy), default X-Forwarded-User
	PowerAuthUsers []string
	// PowerAuthGroups: with the proxy method, a user in one of these unix
	// groups (of this host, by name) may act too, as orchestrator.
	PowerAuthGroups []string
	ReadOnly        bool // ReadOnly: no write action is allowed at all
	// UserGroups names the unix groups of a user (nil: this host's
	// user database, os/user); tests replace it.
	UserGroups func(user string) ([]string, error)
}

// authenticate wraps h with the basic-auth check of the basic and multi
// methods. Health endpoints stay open so load balancers can probe them.
func (s *Server) authenticate(h http.Handler) http.Handler {
	if m := s.authOpts().Method; m != "basic" && m != "multi" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.openPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		a := s.authOpts() // the users as last reloaded
		user, pass, ok := r.BasicAuth()
		allowed := ok && eq(user, a.User) && eq(pass, a.Password)
		if !allowed && a.Method == "multi" && ok && user == "readonly" {
			allowed = true // any password: read-only access
		}
		if !allowed {
			w.Header().Set("WWW-Authenticate", `Basic realm="Authorization Required"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authorizedForAction is orchestrator's isAuthorizedForAction: whether the
// request may change anything.
func (s *Server) authorizedForAction(r *http.Request) bool {
	a := s.authOpts()
	if a.ReadOnly {
		return false
	}
	switch a.Method {
	case "multi":
		user, _, _ := r.BasicAuth()
		return user != "readonly"
	case "proxy":
		hdr := a.UserHeader
		if hdr == "" {
			hdr = "X-Forwarded-User"
		}
		user := r.Header.Get(hdr)
		users := a.PowerAuthUsers
		if len(users) == 0 && len(a.PowerAuthGroups) == 0 {
			users = []string{"*"}
		}
		if slices.Contains(users, "*") || (user != "" && slices.Contains(users, user)) {
			return true
		}
		return s.userInPowerGroups(user)
	default:
		return true
	}
}

// requestUser names who asked, for audit events.
func (s *Server) requestUser(r *http.Request) string {
	if a := s.authOpts(); a.Method == "proxy" {
		hdr := a.UserHeader
		if hdr == "" {
			hdr = "X-Forwarded-User"
		}
		if u := r.Header.Get(hdr); u != "" {
			return u
		}
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return "anonymous"
}

// authOpts are the authentication settings in force: Options.Auth, or what
// SetAuth last stored.
func (s *Server) authOpts() AuthOptions { return *s.auth.Load() }

// SetAuth replaces the users, passwords, power users, user header and
// ReadOnly (reload-configuration). The method cannot change while serving:
// the basic-auth layer is built with the handler.
func (s *Server) SetAuth(a AuthOptions) error {
	if cur := s.authOpts().Method; a.Method != cur {
		return fmt.Errorf("set authentication: AuthenticationMethod %q cannot change from %q without a restart", a.Method, cur)
	}
	a.PowerAuthUsers = slices.Clone(a.PowerAuthUsers)
	s.auth.Store(&a)
	return nil
}
