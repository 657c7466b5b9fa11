package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// The general audit pages the event stream newest first, 20 a page, and an
// instance's audit keeps only the events naming it.
func TestLogAuditPagesTheEventLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := testEventLog(t, ctx)
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	key := func(i int) events.InstanceKey {
		return events.InstanceKey{Hostname: fmt.Sprintf("198.18.0.%d", i%3+1), Port: 3306}
	}
	for i := 0; i < 45; i++ {
		env, err := events.New(events.KindInstanceTagged, t0.Add(time.Duration(i)*time.Second), "n1",
			events.InstanceTagged{Key: key(i), Name: fmt.Sprintf("t%d", i), Value: "v", Who: "dba"})
		if err != nil {
			t.Fatal(err)
		}
		env.Instance = key(i).String()
		if _, err := l.Append(ctx, env, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	a := NewLogAudit(l)
	p0, err := a.Audit(ctx, events.InstanceKey{}, 0)
	if err != nil || len(p0) != 20 {
		t.Fatalf("page 0: %d entries, %v", len(p0), err)
	}
	first := p0[0]
	if first.AuditId != 45 || first.AuditType != "instance-tagged" || first.AuditTimestamp != "2026-12-07 20:00:44" ||
		first.AuditInstanceKey != key(44) || first.Message != "198.18.0.3:3306 tagged t44=v (by dba)" {
		t.Errorf("newest entry: %+v", first)
	}
	p2, err := a.Audit(ctx, events.InstanceKey{}, 2)
	if err != nil || len(p2) != 5 || p2[0].AuditId != 5 || p2[4].AuditId != 1 {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
	if p3, err := a.Audit(ctx, events.InstanceKey{}, 3); err != nil || len(p3) != 0 {
		t.Fatalf("page 3: %+v %v", p3, err)
	}
	if far, err := a.Audit(ctx, events.InstanceKey{}, 1<<40); err != nil || len(far) != 0 {
		t.Fatalf("a page beyond the bound: %+v %v", far, err)
	}
	// 198.18.0.1 is key(i) for i = 0, 3, …, 42: 15 events, newest first.
	one, err := a.Audit(ctx, key(0), 0)
	if err != nil || len(one) != 15 || one[0].AuditId != 43 || one[14].AuditId != 1 {
		t.Fatalf("instance audit: %d entries %v", len(one), err)
	}
	for _, e := range one {
		if e.AuditInstanceKey != key(0) {
			t.Fatalf("instance audit has %+v", e)
		}
	}
}

// testEventLog is an event log on an embedded NATS server of the test's
// own, its streams created.
func testEventLog(t *testing.T, ctx context.Context) *eventlog.Log {
	t.Helper()
	l, err := eventlog.New(natstest.Conn(t, natstest.Node(t)), zerolog.Nop(), events.StreamOptions{EventBytes: 32 << 20, ObservationBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}
