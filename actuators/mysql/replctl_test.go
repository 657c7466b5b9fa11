package mysql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// A delay out of range is refused before any connection is made.
func TestDelayReplicationRange(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	key := events.InstanceKey{Hostname: "198.18.0.250", Port: 3306}
	for _, s := range []int{-1, maxReplicationDelay + 1} {
		err := d.DelayReplication(context.Background(), key, s)
		var ae *actuators.Error
		if !errors.As(err, &ae) || ae.Kind != actuators.Permanent {
			t.Errorf("delay %d: %v, want a Permanent error", s, err)
		}
	}
}

func TestWithGTID(t *testing.T) {
	tests := []struct{ pos, gtid, want, err string }{
		{"0-1-14", "0-1-15", "0-1-15", ""},
		{"", "0-1-1", "0-1-1", ""},
		{"0-1-14,1-2-7", "1-3-9", "0-1-14,1-3-9", ""},
		{"10-1-5,1-2-7", "1-2-8", "10-1-5,1-2-8", ""}, // domain 1 is not domain 10
		{"0-1-14", "x", "", "parse gtid"},
		{"0-1", "0-1-2", "", "want domain-server-sequence"},
		{"0-1-14", "0-1-15,1-2-3", "", "want one domain-server-sequence"},
		{"0-1-14", "", "", "want one domain-server-sequence"},
	}
	for _, tt := range tests {
		got, err := withGTID(tt.pos, tt.gtid)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("withGTID(%q, %q) = %q, %v; want %q, error %q", tt.pos, tt.gtid, got, err, tt.want, tt.err)
		}
	}
}

func TestGTIDEventInfo(t *testing.T) {
	for info, want := range map[string]string{"BEGIN GTID 0-1-15": "0-1-15", "GTID 2-10-7": "2-10-7", "BEGIN GTID 0-1-15 cid=3": "0-1-15"} {
		if m := gtidEventRE.FindStringSubmatch(info); m == nil || m[1] != want {
			t.Errorf("%q: %v, want %s", info, m, want)
		}
	}
}
