package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os/user"
	"testing"
)

// TestPowerAuthGroups: with the proxy method a user outside PowerAuthUsers
// may act when one of its unix groups is in PowerAuthGroups, and not
// otherwise; a failed group lookup refuses.
func TestPowerAuthGroups(t *testing.T) {
	groups := map[string][]string{"alice": {"staff", "dba"}, "bob": {"staff"}}
	lookup := func(name string) ([]string, error) {
		g, ok := groups[name]
		if !ok {
			return nil, errors.New("unknown user " + name)
		}
		return g, nil
	}
	s := newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{Method: "proxy",
		PowerAuthUsers: []string{"root"}, PowerAuthGroups: []string{"dba"}, UserGroups: lookup}})
	for _, tc := range []struct {
		user string
		want bool
	}{{"root", true}, {"alice", true}, {"bob", false}, {"mallory", false}, {"", false}} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if tc.user != "" {
			r.Header.Set("X-Forwarded-User", tc.user)
		}
		if got := s.authorizedForAction(r); got != tc.want {
			t.Errorf("user %q: may act %v, want %v", tc.user, got, tc.want)
		}
	}
	// Only groups listed, no users: not everyone (the "*" default is for
	// neither being set).
	s = newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{Method: "proxy", PowerAuthGroups: []string{"dba"}, UserGroups: lookup}})
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Forwarded-User", "bob")
	if s.authorizedForAction(r) {
		t.Error("bob (not in dba) may act with PowerAuthGroups=[dba] and no PowerAuthUsers")
	}
}

// TestPowerAuthGroupsFromThisHost reads the groups of the user running the
// test from this host's user database.
func TestPowerAuthGroupsFromThisHost(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	g, err := user.LookupGroupId(me.Gid)
	if err != nil {
		t.Fatalf("primary group of %s: %v", me.Username, err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Forwarded-User", me.Username)
	in := newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{Method: "proxy", PowerAuthUsers: []string{"nobody-else"}, PowerAuthGroups: []string{g.Name}}})
	if !in.authorizedForAction(r) {
		t.Errorf("%s in group %s: refused", me.Username, g.Name)
	}
	out := newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{Method: "proxy", PowerAuthUsers: []string{"nobody-else"}, PowerAuthGroups: []string{"no-such-group-regent"}}})
	if out.authorizedForAction(r) {
		t.Errorf("%s allowed through a group it is not in", me.Username)
	}
}
