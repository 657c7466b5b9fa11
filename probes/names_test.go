package probes

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// namedBatch is a MariaDB replica's batch: identity, source row and the
// SHOW SLAVE HOSTS / processlist rows.
func namedBatch(hostname, reportHost, masterHost string, replicas ...row) batchResult {
	res := batchResult{
		globals: mkRow("version", "10.11.6-MariaDB-log", "server_id", "2", "hostname", hostname,
			"report_host", reportHost, "report_port", "NULL", "read_only", "1", "log_bin", "1", "utc_offset", "0"),
		replicas: replicas,
	}
	if masterHost != "" {
		res.replica = []row{mkRow("Master_Host", masterHost, "Master_Port", "3306", "Slave_IO_Running", "Yes", "Slave_SQL_Running", "Yes")}
	}
	return res
}

func testProber(t *testing.T, o Options) *Prober {
	t.Helper()
	p, err := NewProber(o, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestServerReportedNamesAreChecked: a name a server reports for itself
// (@@report_host, @@hostname) or for its source (Master_Host) that
// events.ValidHost refuses fails the probe: the InstanceUnreachable it
// publishes names the dialled instance and the field, escaped, and is
// partial (the server answered). A detached source "//db1" stays valid.
func TestServerReportedNamesAreChecked(t *testing.T) {
	dialled := events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}
	long := strings.Repeat("a", 4100)
	cases := []struct {
		name   string
		method string
		res    batchResult
		field  string // "" = the probe succeeds
	}{
		{"report_host bidi", "@@report_host", namedBatch("box", "db\u202e2", "db1"), "@@report_host"},
		{"report_host 4100 bytes", "@@report_host", namedBatch("box", long, "db1"), "@@report_host"},
		{"report_host space", "report_host", namedBatch("box", "db 2", "db1"), "@@report_host"},
		{"hostname control", "@@hostname", namedBatch("box\x07", "NULL", "db1"), "@@hostname"},
		{"master host newline", "@@hostname", namedBatch("db2", "NULL", "db1\nx"), "Master_Host"},
		{"master host long", "@@report_host", namedBatch("db2", "db2", long), "Master_Host"},
		{"report_host valid", "@@report_host", namedBatch("box", "db2", "db1"), ""},
		{"detached source valid", "@@report_host", namedBatch("box", "db2", "//db1"), ""},
		{"resolve none ignores names", "none", namedBatch("box\x07", "db\u202e2", "db1"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := testProber(t, Options{MySQLHostnameResolveMethod: c.method, HostnameResolveMethod: "none"})
			obs, err := p.observation(context.Background(), dialled, c.res)
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid names refused: %v", err)
				}
				return
			}
			var ne *NameError
			if !errors.As(err, &ne) || ne.Field != c.field || !errors.Is(err, events.ErrInvalidName) {
				t.Fatalf("err = %v, want a *NameError on %s", err, c.field)
			}
			if obs.Key != dialled {
				t.Errorf("failed observation named %v", obs.Key)
			}
			perr := p.probeError(context.Background(), dialled, true, err)
			u := Unreachable(dialled, perr, 0)
			if !u.Partial || u.Kind != "partial" || !strings.HasPrefix(u.Error, "198.18.0.2:3306 reports an invalid "+c.field+": ") {
				t.Errorf("unreachable = %+v", u)
			}
			if len(u.Error) > 400 || strings.ContainsAny(u.Error, "\u202e\x07\n") {
				t.Errorf("error text holds the raw name or is too long (%d bytes): %q", len(u.Error), u.Error)
			}
		})
	}
}

// TestInvalidReplicaNamesAreLeftOut: SHOW SLAVE HOSTS rows (and processlist
// hosts) with invalid names are left out of the primary's observation,
// which stays valid: a replica's report_host cannot make its primary look
// unreachable.
func TestInvalidReplicaNamesAreLeftOut(t *testing.T) {
	primary := events.InstanceKey{Hostname: "db1", Port: 3306}
	res := namedBatch("db1", "NULL", "",
		mkRow("Server_id", "2", "Host", "db2", "Port", "3306"),
		mkRow("Server_id", "3", "Host", "db\u202e3", "Port", "3306"),
		mkRow("Server_id", "4", "Host", strings.Repeat("x", 300), "Port", "3306"),
		mkRow("Server_id", "5", "Host", "db5", "Port", "99999"))
	p := testProber(t, Options{DiscoverByShowSlaveHosts: true, HostnameResolveMethod: "none"})
	obs, err := p.observation(context.Background(), primary, res)
	if err != nil {
		t.Fatalf("a replica's bad name failed the primary's probe: %v", err)
	}
	if want := []events.InstanceKey{{Hostname: "db2", Port: 3306}}; !reflect.DeepEqual(obs.Replicas, want) {
		t.Errorf("replicas %v, want %v", obs.Replicas, want)
	}
	res = namedBatch("db1", "NULL", "", mkRow("Id", "7", "HOST", "10.0.0.2:51234"), mkRow("Id", "8", "HOST", "db\u202e3:51234"))
	p = testProber(t, Options{HostnameResolveMethod: "none"})
	obs, err = p.observation(context.Background(), primary, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := []events.InstanceKey{{Hostname: "10.0.0.2", Port: 3306}}; !reflect.DeepEqual(obs.Replicas, want) {
		t.Errorf("processlist replicas %v, want %v", obs.Replicas, want)
	}
}

// TestBadReportHostIsNotDiscovered: discovering a server whose report_host
// is invalid answers the probe's error, records nothing under any name,
// and publishes one InstanceUnreachable under the dialled key naming the
// field. An invalid key given to Discover is refused before any probe.
func TestBadReportHostIsNotDiscovered(t *testing.T) {
	dialled := events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}
	p := testProber(t, Options{MySQLHostnameResolveMethod: "@@report_host", HostnameResolveMethod: "none"})
	probed := 0
	probe := func(ctx context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
		probed++
		obs, err := p.observation(ctx, k, namedBatch("box", "evil\u202e.example", "db1"))
		if err != nil {
			return events.InstanceObserved{}, p.probeError(ctx, k, true, err)
		}
		return obs, nil
	}
	rec := &recorder{}
	opts := Options{NodeID: "n1"}
	obsv := NewObserver(probe, rec, nil, opts, nil, zerolog.Nop())
	d := NewDiscoverer(NewScheduler(obsv.Observe, opts, nil, zerolog.Nop()), rec, nil, opts, nil, zerolog.Nop())
	_, err := d.Discover(context.Background(), dialled)
	var ne *NameError
	if !errors.As(err, &ne) || ne.Field != "@@report_host" {
		t.Fatalf("discover: %v, want the @@report_host *NameError", err)
	}
	envs := rec.all()
	if len(envs) != 1 || envs[0].Kind != events.KindInstanceUnreachable || envs[0].Instance != dialled.String() {
		t.Fatalf("published %v, want one InstanceUnreachable of %s", rec.kinds(), dialled)
	}
	var u events.InstanceUnreachable
	if err := json.Unmarshal(envs[0].Payload, &u); err != nil {
		t.Fatal(err)
	}
	if u.Key != dialled || !strings.Contains(u.Error, "@@report_host") || !strings.Contains(u.Error, dialled.String()) {
		t.Errorf("unreachable %+v does not name the instance and the field", u)
	}
	bad := events.InstanceKey{Hostname: strings.Repeat("a", 4100), Port: 3306}
	if _, err := d.Discover(context.Background(), bad); !errors.Is(err, events.ErrInvalidName) || probed != 1 {
		t.Errorf("discover of a 4,100-byte name: %v after %d probes, want ErrInvalidName and no probe", err, probed)
	}
	if len(rec.all()) != 1 {
		t.Errorf("the refused discover published %v", rec.kinds())
	}
}

// TestCrawlSkipsInvalidNeighbours: an observation naming an invalid
// neighbour (which the prober never reports, but a crawl must not trust)
// is not followed.
func TestCrawlSkipsInvalidNeighbours(t *testing.T) {
	tp := newTopology()
	bad := events.InstanceKey{Hostname: "db\u202e9", Port: 3306}
	tp.node(key(0), kp(bad), key(1), events.InstanceKey{Hostname: "db1", Port: 0})
	tp.node(key(1), kp(key(0)))
	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n1"}, nil, zerolog.Nop())
	if _, err := d.DiscoverVia(context.Background(), key(0), ViaAPI); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"db0:3306": ViaAPI, "db1:3306": ViaCrawlDown}
	if got := rec.discovered(t); !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v, want %v", got, want)
	}
	if tp.probed[bad] != 0 {
		t.Errorf("probed the invalid source %d times", tp.probed[bad])
	}
}

// TestDetectAnswersAreChecked: a Detect* answer longer than
// events.MaxTextLen or holding control or bidi characters reads as no
// answer.
func TestDetectAnswersAreChecked(t *testing.T) {
	p := testProber(t, Options{})
	k := events.InstanceKey{Hostname: "db1", Port: 3306}
	for in, want := range map[string]string{
		"  main  ": "main", "Zürich dc": "Zürich dc", "ma\u202ein": "", "a\x1b[31m": "", strings.Repeat("x", 300): "",
	} {
		if got := p.detectAnswer(k, "DetectClusterAliasQuery", in); got != want {
			t.Errorf("detectAnswer(%s) = %q, want %q", events.Quote(in), got, want)
		}
	}
}
