package probes

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func TestInstanceName(t *testing.T) {
	dialled := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	full := serverIdentity{Hostname: "lab-box", ReportHost: "db1.lab", ReportPort: 3307}
	tests := []struct {
		method string
		id     serverIdentity
		want   events.InstanceKey
		err    string
	}{
		{"@@hostname", full, events.InstanceKey{Hostname: "lab-box", Port: 3306}, ""},
		{"hostname", full, events.InstanceKey{Hostname: "lab-box", Port: 3306}, ""},
		{"default", full, events.InstanceKey{Hostname: "lab-box", Port: 3306}, ""},
		{"", full, events.InstanceKey{Hostname: "lab-box", Port: 3306}, ""},
		{"@@hostname", serverIdentity{}, dialled, ""},
		{"@@report_host", full, events.InstanceKey{Hostname: "db1.lab", Port: 3307}, ""},
		{"report_host", serverIdentity{ReportHost: "db1.lab"}, events.InstanceKey{Hostname: "db1.lab", Port: 3306}, ""},
		{"@@report_host", serverIdentity{Hostname: "lab-box"}, events.InstanceKey{},
			"MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.1:3306 has NULL/empty @@report_host"},
		{"@@report_host", serverIdentity{ReportHost: "  "}, events.InstanceKey{},
			"MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.1:3306 has NULL/empty @@report_host"},
		{"none", full, dialled, ""},
		{"something-else", full, dialled, ""},
	}
	for _, tc := range tests {
		got, err := instanceName(tc.method, dialled, tc.id)
		if tc.err != "" {
			var rh *ReportHostError
			if err == nil || err.Error() != tc.err || !errors.As(err, &rh) {
				t.Errorf("%s %+v: err = %v, want %q as *ReportHostError", tc.method, tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %+v: got %v, %v; want %v", tc.method, tc.id, got, err, tc.want)
		}
	}
}

func TestReportHostProbeErrorKeepsExactText(t *testing.T) {
	p := &Prober{}
	key := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	err := p.probeError(context.Background(), key, true, &ReportHostError{Key: key})
	want := "MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.1:3306 has NULL/empty @@report_host"
	if err.Error() != want {
		t.Fatalf("error text = %q, want %q", err.Error(), want)
	}
	u := Unreachable(key, err, time.Millisecond)
	if !u.Partial || u.Timeout || u.Kind != "partial" || u.Error != want {
		t.Fatalf("unreachable = %+v", u)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in   string
		want events.InstanceKey
		bad  bool
	}{
		{"198.18.0.1:3306", events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}, false},
		{"db1", events.InstanceKey{Hostname: "db1", Port: 3306}, false},
		{"db1:3307", events.InstanceKey{Hostname: "db1", Port: 3307}, false},
		{"[::1]:3310", events.InstanceKey{Hostname: "::1", Port: 3310}, false},
		{"", events.InstanceKey{}, true},
		{"db1:0", events.InstanceKey{}, true},
		{"db1:http", events.InstanceKey{}, true},
		{"db 1:3306", events.InstanceKey{}, true},
		{"db\u202e1:3306", events.InstanceKey{}, true},
	}
	for _, tc := range tests {
		got, err := ParseKey(tc.in, 3306)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseKey(%q) = %v, %v; want %v (bad=%v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// fakeResolver answers from a table and counts questions.
type fakeResolver struct {
	cname map[string]string
	hosts map[string][]string
	asked []string
}

func (f *fakeResolver) LookupCNAME(_ context.Context, h string) (string, error) {
	f.asked = append(f.asked, "cname "+h)
	if c, ok := f.cname[h]; ok {
		return c, nil
	}
	return "", errors.New("no such host")
}

func (f *fakeResolver) LookupHost(_ context.Context, h string) ([]string, error) {
	f.asked = append(f.asked, "host "+h)
	if a, ok := f.hosts[h]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestNameCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()

	t.Run("cname follows DNS for names, never for IPs, and caches", func(t *testing.T) {
		r := &fakeResolver{cname: map[string]string{"db-vip": "db1.example."}}
		c := newNameCache("cname", time.Minute, r, clock)
		if got := c.resolve(ctx, "db-vip"); got != "db1.example" {
			t.Errorf("resolve(db-vip) = %q", got)
		}
		c.resolve(ctx, "db-vip")
		if got := c.resolve(ctx, "10.0.0.5"); got != "10.0.0.5" {
			t.Errorf("resolve(IP) = %q", got)
		}
		if got := c.resolve(ctx, "unknown"); got != "unknown" {
			t.Errorf("resolve(unknown) = %q", got)
		}
		if len(r.asked) != 2 || r.asked[0] != "cname db-vip" || r.asked[1] != "cname unknown" {
			t.Errorf("DNS questions = %v, want one per name and none for the IP", r.asked)
		}
	})
	t.Run("none and default never ask DNS", func(t *testing.T) {
		for _, m := range []string{"none", "default"} {
			r := &fakeResolver{cname: map[string]string{"db-vip": "db1.example."}}
			c := newNameCache(m, time.Minute, r, clock)
			if got := c.resolve(ctx, "db-vip"); got != "db-vip" || len(r.asked) != 0 {
				t.Errorf("%s: resolve = %q, asked %v", m, got, r.asked)
			}
		}
	})
	t.Run("learned names win and expire", func(t *testing.T) {
		c := newNameCache("none", time.Minute, nil, clock)
		c.learn("198.18.0.1", "db1.lab")
		if got := c.resolve(ctx, "198.18.0.1"); got != "db1.lab" {
			t.Errorf("learned resolve = %q", got)
		}
		now = now.Add(2 * time.Minute)
		if got := c.resolve(ctx, "198.18.0.1"); got != "198.18.0.1" {
			t.Errorf("expired resolve = %q", got)
		}
	})
	t.Run("ip takes the first address", func(t *testing.T) {
		r := &fakeResolver{hosts: map[string][]string{"db1": {"192.0.2.7", "192.0.2.8"}}}
		c := newNameCache("ip", time.Minute, r, clock)
		if got := c.resolve(ctx, "db1"); got != "192.0.2.7" {
			t.Errorf("resolve = %q", got)
		}
	})
}
