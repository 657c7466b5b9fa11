package actuators_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// credsReader is a CredentialsReader fake: it answers for one server.
type credsReader struct {
	mu    sync.Mutex
	on    events.InstanceKey
	creds actuators.Credentials
	err   error
	asked []string // "host:port query"
}

func (c *credsReader) ReplicationCredentials(_ context.Context, key events.InstanceKey, query string) (actuators.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, key.String()+" "+query)
	if key != c.on {
		return actuators.Credentials{}, errors.New("asked the wrong server")
	}
	return c.creds, c.err
}

// credsDB records the credentials each ChangeSource was given.
type credsDB struct {
	actuators.DB
	mu   sync.Mutex
	used map[events.InstanceKey]*actuators.Credentials
}

func (d *credsDB) ChangeSource(ctx context.Context, key, source events.InstanceKey, mode actuators.SourceMode, creds *actuators.Credentials) error {
	d.mu.Lock()
	d.used[key] = creds
	d.mu.Unlock()
	return d.DB.ChangeSource(ctx, key, source, mode, creds)
}

// TestReplicationCredentialsQuery: a graceful takeover runs
// ReplicationCredentialsQuery on the designated replica before demoting
// the primary, and re-attaches the demoted primary with what it returned
// (the step names the user, never the password); a failing query, or one
// that returns no user, is recorded as skipped and the takeover re-attaches
// with ReplicationUser; without the key nothing is queried.
func TestReplicationCredentialsQuery(t *testing.T) {
	const query = "SELECT user, password FROM meta.repl"
	for _, tc := range []struct {
		name, query string
		creds       actuators.Credentials
		err         error
		wantUser    string
		wantOutcome string
	}{
		{"from the query", query, actuators.Credentials{User: "repl", Password: "s3cret-from-meta"}, nil, "repl", events.StepOK},
		{"query fails", query, actuators.Credentials{}, errors.New("table meta.repl does not exist"), "configured", events.StepSkipped},
		{"no user", query, actuators.Credentials{Password: "x"}, nil, "configured", events.StepSkipped},
		{"no query", "", actuators.Credentials{User: "never"}, nil, "configured", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 3)
			old, s := w.keys[0], w.keys[1]
			if err := w.topo.Write(old, 1); err != nil {
				t.Fatal(err)
			}
			db := &credsDB{DB: w.topo.DB(), used: map[events.InstanceKey]*actuators.Credentials{}}
			reader := &credsReader{on: s, creds: tc.creds, err: tc.err}
			w.r.DB, w.r.Credentials = db, reader
			w.r.Policy.Credentials = &actuators.Credentials{User: "configured", Password: "configured-pw"}
			w.r.Policy.CredentialsQuery = tc.query
			in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-1", Type: events.RecoveryGracefulMasterTakeoverAuto,
				Analysis: events.AnalysisDeadMaster, Cluster: projections.ClusterInfo{ClusterName: w.cluster()},
				Failed: old, Successor: s, Replicas: w.keys[2:], Manual: true, Node: "n1", Epoch: 1})
			if _, err := w.run(t, in); err != nil {
				t.Fatalf("takeover: %v (log %v)", err, w.log.kinds())
			}
			got := db.used[old]
			if got == nil || got.User != tc.wantUser {
				t.Fatalf("demoted primary re-attached with %+v, want user %s", got, tc.wantUser)
			}
			step, ran := w.log.steps(t)["read-replication-credentials"]
			if tc.wantOutcome == "" {
				if ran || len(reader.asked) != 0 {
					t.Errorf("queried without ReplicationCredentialsQuery: %+v %v", step, reader.asked)
				}
				return
			}
			if !ran || step.Outcome != tc.wantOutcome || step.Target != s {
				t.Fatalf("step %+v (ran %v), want %s on %s", step, ran, tc.wantOutcome, s)
			}
			if len(reader.asked) != 1 || reader.asked[0] != s.String()+" "+query {
				t.Errorf("queries %v, want one on %s", reader.asked, s)
			}
			for _, e := range w.log.all() {
				if strings.Contains(string(e.Payload), "s3cret") || strings.Contains(string(e.Payload), "configured-pw") {
					t.Errorf("a password reached the log: %s %s", e.Kind, e.Payload)
				}
			}
			kinds := w.log.kinds()
			first, demote := -1, -1
			for i, e := range w.log.all() {
				if e.Kind != events.KindRecoveryStep {
					continue
				}
				var rs events.RecoveryStep
				_ = e.Decode(&rs)
				if rs.Step == "read-replication-credentials" && first < 0 {
					first = i
				}
				if rs.Step == "demote-read-only" && demote < 0 {
					demote = i
				}
			}
			if first < 0 || demote < 0 || first > demote {
				t.Errorf("credentials read at %d, demotion at %d: want before (log %v)", first, demote, kinds)
			}
		})
	}
}
