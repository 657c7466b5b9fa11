package probes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabReportHostInvalid: on real MariaDB, a replica whose report_host
// holds a bidi character fails its own probe (partial, naming the instance
// and @@report_host) and is never discovered, and its primary's probe
// still succeeds with that replica left out of SHOW SLAVE HOSTS' list.
func TestLabReportHostInvalid(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	h := l.Host(3)
	l.Stop(3)
	cnf := filepath.Join(h.Dir, "my.cnf")
	b, err := os.ReadFile(cnf)
	if err != nil {
		t.Fatalf("read my.cnf: %v", err)
	}
	bad := "db3\u202egro.evil"
	changed := regexp.MustCompile(`(?m)^report_host=.*$`).ReplaceAll(b, []byte("report_host="+bad))
	if len(changed) == len(b) {
		t.Fatalf("my.cnf of host 3 has no report_host line:\n%s", b)
	}
	if err := os.WriteFile(cnf, changed, 0o644); err != nil {
		t.Fatalf("write my.cnf: %v", err)
	}
	l.Start(3)
	if got := l.MustSQL(3, "SELECT @@report_host")[0][0]; got != bad {
		t.Fatalf("@@report_host = %q, want %q", got, bad)
	}

	p := newLabProber(t, labOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = p.Probe(ctx, labKey(l, 3))
	var ne *NameError
	if !errors.As(err, &ne) || ne.Field != "@@report_host" || KindOf(err) != ErrPartial {
		t.Fatalf("probe of host 3: %v, want a partial *NameError on @@report_host", err)
	}
	u := Unreachable(labKey(l, 3), err, 0)
	if !u.Partial || !strings.HasPrefix(u.Error, labKey(l, 3).String()+" reports an invalid @@report_host") || strings.ContainsRune(u.Error, '\u202e') {
		t.Errorf("unreachable = %+v", u)
	}

	rec := &recorder{}
	s := NewScheduler(p.Probe, labOptions(), nil, zerolog.Nop())
	d := NewDiscoverer(s, rec, nil, labOptions(), nil, zerolog.Nop())
	if _, err := d.Discover(ctx, labKey(l, 3)); !errors.As(err, &ne) {
		t.Errorf("discover host 3: %v", err)
	}
	if len(rec.all()) != 0 || len(s.Keys()) != 0 {
		t.Errorf("failed discover recorded %v, scheduled %v", rec.kinds(), s.Keys())
	}

	// The primary lists host 3 under its bad report_host once it has
	// reconnected; its probe succeeds without it.
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows := l.MustSQL(1, "SHOW SLAVE HOSTS")
		listed := slices.ContainsFunc(rows, func(r []string) bool { return slices.Contains(r, bad) })
		if listed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("host 3 not listed by SHOW SLAVE HOSTS on host 1: %v", rows)
		}
		time.Sleep(200 * time.Millisecond)
	}
	primary := mustProbe(t, p, labKey(l, 1))
	if want := []events.InstanceKey{labKey(l, 2)}; !slices.Equal(primary.Replicas, want) {
		t.Errorf("primary's replicas %v, want only %v", primary.Replicas, want)
	}
	if _, err := d.Discover(ctx, labKey(l, 1)); err != nil {
		t.Fatalf("discover host 1: %v", err)
	}
	for k := range rec.discovered(t) {
		if strings.Contains(k, "evil") {
			t.Errorf("discovered %q", k)
		}
	}
}
