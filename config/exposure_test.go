package config

import (
	"strings"
	"testing"
)

func TestAPIExposureWarning(t *testing.T) {
	cases := []struct {
		listen, auth string
		warn         bool
	}{
		{"0.0.0.0:3000", "", true},
		{":3000", "", true},
		{"[::]:3000", "", true},
		{"198.18.0.1:3000", "", true},
		{"regent1.example:3000", "", true},
		{"127.0.0.1:3000", "", false},
		{"127.0.0.2:3000", "", false},
		{"[::1]:3000", "", false},
		{"localhost:3000", "", false},
		{"0.0.0.0:3000", "basic", false},
		{"0.0.0.0:3000", "multi", false},
		{"0.0.0.0:3000", "proxy", false},
	}
	for _, c := range cases {
		w := Config{HTTP: HTTP{ListenAddress: c.listen, AuthenticationMethod: c.auth}}.APIExposureWarning()
		if (w != "") != c.warn {
			t.Errorf("ListenAddress %q AuthenticationMethod %q: warning %q, want one: %v", c.listen, c.auth, w, c.warn)
		}
		if w != "" && (!strings.Contains(w, c.listen) || !strings.Contains(w, "AuthenticationMethod")) {
			t.Errorf("warning does not name the address and the key: %q", w)
		}
	}
}
