package api

import (
	"strings"
	"testing"
)

// TestCheckRoutesRefusesCollisions: a StatusEndpoint that is one of the
// API's own routes is an error naming both keys (not a panic); the default
// and a prefixed custom endpoint register.
func TestCheckRoutesRefusesCollisions(t *testing.T) {
	for _, ep := range []string{"/api/health", "/api/leader-check", "/metrics"} {
		err := CheckRoutes(Options{StatusEndpoint: ep}, 3306)
		if err == nil || !strings.Contains(err.Error(), `"StatusEndpoint" "`+ep+`"`) || !strings.Contains(err.Error(), `"URLPrefix"`) {
			t.Errorf("StatusEndpoint %s: %v, want an error naming both keys", ep, err)
		}
	}
	for _, o := range []Options{{}, {URLPrefix: "/orc", StatusEndpoint: "/lb"}} {
		if err := CheckRoutes(o, 3306); err != nil {
			t.Errorf("URLPrefix %q StatusEndpoint %q: %v", o.URLPrefix, o.StatusEndpoint, err)
		}
	}
}
