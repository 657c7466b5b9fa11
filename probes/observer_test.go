package probes

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// scriptedProbe answers each call with the next scripted result.
type scriptedProbe struct {
	results []func() (events.InstanceObserved, error)
}

func (s *scriptedProbe) probe(_ context.Context, _ events.InstanceKey) (events.InstanceObserved, error) {
	r := s.results[0]
	s.results = s.results[1:]
	return r()
}

func ok(mod func(*events.InstanceObserved)) func() (events.InstanceObserved, error) {
	return func() (events.InstanceObserved, error) {
		o := sampleObservation()
		if mod != nil {
			mod(&o)
		}
		o.Digest = Digest(&o)
		return o, nil
	}
}

func fail(err error) func() (events.InstanceObserved, error) {
	return func() (events.InstanceObserved, error) { return events.InstanceObserved{}, err }
}

func TestObserverFullProgressUnreachable(t *testing.T) {
	clk := newManualClock()
	dialled := events.InstanceKey{Hostname: "10.9.9.2", Port: 3306} // named 198.18.0.2:3306 by the server
	refused := &ProbeError{Key: dialled, Kind: ErrRefused, Err: errors.New("probe 10.9.9.2:3306: connection refused")}
	sp := &scriptedProbe{results: []func() (events.InstanceObserved, error){
		ok(nil), // full: first
		ok(func(o *events.InstanceObserved) { o.SelfCoordinates.LogPos = 999; o.Uptime = 101 }), // progress
		ok(func(o *events.InstanceObserved) { o.ReadOnly = false }),                             // full: state changed
		ok(func(o *events.InstanceObserved) { o.ReadOnly = false }),                             // progress
		fail(refused), // unreachable
		ok(func(o *events.InstanceObserved) { o.ReadOnly = false }), // full: first after a failure
		ok(func(o *events.InstanceObserved) { o.ReadOnly = false }), // after 40 s: full again
	}}
	rec := &recorder{}
	var hooked []events.InstanceKey
	o := NewObserver(sp.probe, rec, func(k events.InstanceKey) string { return "cluster-of-" + k.String() },
		Options{NodeID: "n1", FullObservationInterval: 30 * time.Second}, clk, zerolog.Nop(),
		WithObservedHook(func(obs events.InstanceObserved) { hooked = append(hooked, obs.Key) }))
	ctx := context.Background()
	for i := range 6 {
		_, err := o.Observe(ctx, dialled)
		if (err != nil) != (i == 4) {
			t.Fatalf("observe %d: err %v", i, err)
		}
		clk.Advance(time.Second)
	}
	clk.Advance(40 * time.Second)
	if _, err := o.Observe(ctx, dialled); err != nil {
		t.Fatal(err)
	}
	want := []events.Kind{events.KindInstanceObserved, events.KindInstanceProgress, events.KindInstanceObserved,
		events.KindInstanceProgress, events.KindInstanceUnreachable, events.KindInstanceObserved, events.KindInstanceObserved}
	if got := rec.kinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds = %v\nwant    %v", got, want)
	}
	envs := rec.all()
	for _, e := range envs {
		if e.Instance != "198.18.0.2:3306" || e.Cluster != "cluster-of-198.18.0.2:3306" || e.Origin != "n1" {
			t.Errorf("%s: instance %q cluster %q origin %q", e.Kind, e.Instance, e.Cluster, e.Origin)
		}
	}
	var p events.InstanceProgress
	if err := json.Unmarshal(envs[1].Payload, &p); err != nil || p.SelfCoordinates.LogPos != 999 || p.Digest == "" {
		t.Errorf("progress payload %+v (%v)", p, err)
	}
	var u events.InstanceUnreachable
	if err := json.Unmarshal(envs[4].Payload, &u); err != nil || u.Kind != "refused" || u.Key.Hostname != "198.18.0.2" || u.Timeout {
		t.Errorf("unreachable payload %+v (%v)", u, err)
	}
	if len(hooked) != 6 {
		t.Errorf("hook called %d times, want once per success", len(hooked))
	}
	if st := o.Stats(); st != (ObserverStats{Full: 4, Progress: 2, Unreachable: 1}) {
		t.Errorf("stats = %+v", st)
	}
}

func TestObserverPublishFailureForcesFull(t *testing.T) {
	clk := newManualClock()
	sp := &scriptedProbe{results: []func() (events.InstanceObserved, error){ok(nil), ok(nil), ok(nil)}}
	rec := &recorder{}
	o := NewObserver(sp.probe, rec, nil, Options{NodeID: "n1"}, clk, zerolog.Nop())
	k := key(1)
	rec.fail = errors.New("nats down")
	o.Observe(context.Background(), k) //nolint:errcheck // the probe succeeds
	rec.fail = nil
	o.Observe(context.Background(), k) //nolint:errcheck
	o.Observe(context.Background(), k) //nolint:errcheck
	want := []events.Kind{events.KindInstanceObserved, events.KindInstanceProgress}
	if got := rec.kinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds = %v, want %v (the lost full observation is sent again)", got, want)
	}
	if o.Stats().PublishErrors != 1 {
		t.Errorf("stats = %+v", o.Stats())
	}
}

func TestObserverBoundsProbeAndStillPublishes(t *testing.T) {
	hang := func(ctx context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
		<-ctx.Done()
		return events.InstanceObserved{}, &ProbeError{Key: k, Kind: classify(ctx, ctx.Err()), Err: ctx.Err()}
	}
	rec := &recorder{}
	o := NewObserver(hang, rec, nil, Options{NodeID: "n1", ProbeTimeout: 50 * time.Millisecond}, nil, zerolog.Nop())
	start := time.Now()
	_, err := o.Observe(context.Background(), key(1))
	if !IsTimeout(err) || time.Since(start) > 2*time.Second {
		t.Fatalf("hung probe: %v after %v", err, time.Since(start))
	}
	envs := rec.all()
	if len(envs) != 1 || envs[0].Kind != events.KindInstanceUnreachable {
		t.Fatalf("published %v", rec.kinds())
	}
	var u events.InstanceUnreachable
	if err := json.Unmarshal(envs[0].Payload, &u); err != nil || !u.Timeout || u.ProbeDuration < 50*time.Millisecond {
		t.Errorf("unreachable = %+v (%v)", u, err)
	}
}
