package natsnode_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

const testSecret = "natsnode-test-secret-0123456789"

// authNode starts a node with the users of nodes a and b derived from
// testSecret, connected in-process as node a, with Regent's streams and the
// lease bucket created through that identity.
func authNode(t *testing.T) (*natsnode.Node, natsnode.Credentials) {
	t.Helper()
	creds, err := natsnode.NewCredentials(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	o := natstest.Options(t, "auth")
	o.Users = creds.Users([]string{"a", "b"}, natsnode.UserPass{})
	self := natsnode.NodeUser("a")
	o.Self = natsnode.UserPass{User: self, Password: creds.Password(self)}
	n, err := natsnode.Start(o, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	js, err := jetstream.New(natstest.Conn(t, n))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range events.Streams(events.StreamOptions{ObservationBytes: 8 << 20, EventBytes: 8 << 20}) {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: s.Name, Subjects: s.Subjects, MaxBytes: s.MaxBytes}); err != nil {
			t.Fatalf("create %s as node a: %v", s.Name, err)
		}
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: events.LeaseBucket})
	if err != nil {
		t.Fatalf("create the lease bucket as node a: %v", err)
	}
	if _, err := kv.Put(ctx, "leader", []byte(`{"holder":"a"}`)); err != nil {
		t.Fatalf("write the lease as node a: %v", err)
	}
	return n, creds
}

// roleConn connects to n as role (node: as node) with errors of the
// connection delivered on the returned channel.
func roleConn(t *testing.T, n *natsnode.Node, creds natsnode.Credentials, role, node string) (*nats.Conn, chan error) {
	t.Helper()
	user, err := natsnode.RoleUser(role, node)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	nc, err := nats.Connect(n.ClientURL(), nats.UserInfo(user, creds.Password(user)), nats.Timeout(2*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// publishDenied publishes on subject and reports whether the server
// refused it with a permissions violation naming subject.
func publishDenied(t *testing.T, nc *nats.Conn, errs chan error, subject string) bool {
	t.Helper()
	if err := nc.Publish(subject, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := nc.FlushTimeout(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		return errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject)
	case <-time.After(500 * time.Millisecond):
		return false
	}
}

// TestRolePermissions: each role publishes only what it is for. A node
// publishes its own observations, not another node's; the reader reads
// the streams and subscribes to regent.> but publishes no event, edits no
// stream and cannot touch the lease; hooks append dead letters and no
// other event; admin may do all of it.
func TestRolePermissions(t *testing.T) {
	n, creds := authNode(t)
	anon, err := nats.Connect(n.ClientURL(), nats.Timeout(2*time.Second))
	if err == nil {
		anon.Close()
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous client: %v, want an authorization violation", err)
	}
	nodeA, errsA := roleConn(t, n, creds, natsnode.RoleNode, "a")
	if publishDenied(t, nodeA, errsA, events.ObservationSubject("c:3306", "db1:3306", "a")) {
		t.Error("node a may not publish its own observation")
	}
	if !publishDenied(t, nodeA, errsA, events.ObservationSubject("c:3306", "db1:3306", "b")) {
		t.Error("node a published an observation on node b's subject")
	}
	if !publishDenied(t, nodeA, errsA, events.ObservationSubject("c:3306", "db1:3306", "evil-a")) {
		t.Error("node a published an observation of an unknown origin")
	}
	reader, errsR := roleConn(t, n, creds, natsnode.RoleReader, "")
	checkReader(t, reader, errsR)
	hooks, errsH := roleConn(t, n, creds, natsnode.RoleHooks, "")
	if publishDenied(t, hooks, errsH, events.EventSubject("c:3306", events.KindDeadLetter)) {
		t.Error("hooks may not append a dead letter")
	}
	if !publishDenied(t, hooks, errsH, events.EventSubject("c:3306", events.KindGlobalRecoveriesSet)) {
		t.Error("hooks published an event other than a dead letter")
	}
	admin, _ := roleConn(t, n, creds, natsnode.RoleAdmin, "")
	checkUntouched(t, admin)
}

// checkReader: the reader lists and reads the streams and subscribes, and
// every write is refused.
func checkReader(t *testing.T, nc *nats.Conn, errs chan error) {
	t.Helper()
	sub, err := nc.SubscribeSync(events.Prefix + ".>")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var names []string
	lister := js.StreamNames(ctx)
	for name := range lister.Name() {
		names = append(names, name)
	}
	if lister.Err() != nil || len(names) != 3 {
		t.Errorf("reader lists streams %v: %v", names, lister.Err())
	}
	for _, subject := range []string{events.EventSubject("", events.KindGlobalRecoveriesSet),
		events.ObservationSubject("c:3306", "db1:3306", "a"), "$KV." + events.LeaseBucket + ".leader",
		"$JS.API.STREAM.UPDATE." + events.EventsName, "$JS.API.STREAM.PURGE." + events.EventsName,
		"$JS.API.STREAM.DELETE." + events.EventsName, "$JS.API.STREAM.MSG.DELETE." + events.EventsName,
		"$JS.API.CONSUMER.CREATE.KV_" + events.LeaseBucket + ".x", "$JS.API.CONSUMER.DURABLE.CREATE." + events.EventsName + ".x"} {
		if !publishDenied(t, nc, errs, subject) {
			t.Errorf("reader published on %s", subject)
		}
	}
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if _, err := js.UpdateStream(short, jetstream.StreamConfig{Name: events.EventsName, Subjects: []string{events.EventsAll}, MaxMsgs: 1}); err == nil {
		t.Error("reader edited REGENT_EVENTS (max-msgs 1)")
	}
	if kv, err := js.KeyValue(ctx, events.LeaseBucket); err != nil {
		t.Errorf("reader cannot open the lease bucket to read it: %v", err)
	} else {
		if e, err := kv.Get(ctx, "leader"); err != nil || !strings.Contains(string(e.Value()), `"a"`) {
			t.Errorf("reader reads the lease: %v", err)
		}
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		defer dcancel()
		if err := kv.Delete(dctx, "leader"); err == nil {
			t.Error("reader deleted the lease")
		}
	}
}

// checkUntouched: through admin, the stream kept its limits and the lease
// its holder.
func checkUntouched(t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.CachedInfo().Config.MaxMsgs; m != -1 {
		t.Errorf("REGENT_EVENTS max msgs %d after the reader's edit, want -1", m)
	}
	kv, err := js.KeyValue(ctx, events.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctx, "leader"); err != nil || string(e.Value()) != `{"holder":"a"}` {
		t.Errorf("lease after the reader's writes: %v", err)
	}
}

// TestRogueRouteRefused: a server that does not know the route password,
// named like the cluster's missing third peer, is refused on the route
// port: it never becomes a route nor a JetStream peer, while the real
// third node (same name, right password) joins.
func TestRogueRouteRefused(t *testing.T) {
	ports := []int{natstest.FreePort(t), natstest.FreePort(t), natstest.FreePort(t)}
	routes := make([]string, 3)
	for i, p := range ports {
		routes[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	}
	opts := func(i int, password string) natsnode.Options {
		o := natstest.Options(t, fmt.Sprintf("n%d", i+1))
		o.Cluster = &natsnode.ClusterOptions{Name: "regent-test", Host: "127.0.0.1", Port: ports[i], Routes: routes,
			User: natstest.RouteUser, Password: password}
		return o
	}
	var nodes []*natsnode.Node
	for i := range 2 {
		n, err := natsnode.Start(opts(i, natstest.RoutePassword), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Shutdown)
		nodes = append(nodes, n)
	}
	natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if r := nodes[0].Server().NumRoutes(); r != 1 {
			return fmt.Errorf("n1 has %d routes, want 1 (n2)", r)
		}
		return nil
	})
	rogue, err := natsnode.Start(opts(2, "not-the-route-password"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the rogue solicits both routes (connect backoff starts at once)
	// Each real node is routed to the other and never to the rogue. (The
	// number of route connections alone is no measure: two nodes that
	// solicit each other at once hold a duplicate route until one closes.)
	rogueID := rogue.Server().ID()
	for i, n := range nodes {
		rz, err := n.Server().Routez(&server.RoutezOptions{})
		if err != nil {
			t.Fatal(err)
		}
		peer := false
		for _, r := range rz.Routes {
			if r.RemoteID == rogueID || r.RemoteName == "n3" {
				t.Errorf("n%d has a route to the rogue: %+v", i+1, r)
			}
			peer = peer || r.RemoteName == fmt.Sprintf("n%d", 2-i)
		}
		if !peer {
			t.Errorf("n%d lost its route to n%d while the rogue tried: %d routes", i+1, 2-i, len(rz.Routes))
		}
	}
	if r := rogue.Server().NumRoutes(); r != 0 {
		t.Errorf("the rogue has %d routes, want 0", r)
	}
	rogue.Shutdown()
	real3, err := natsnode.Start(opts(2, natstest.RoutePassword), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(real3.Shutdown)
	natstest.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		if r := nodes[0].Server().NumRoutes(); r != 2 {
			return fmt.Errorf("n1 has %d routes with the real n3 up, want 2", r)
		}
		return nil
	})
}

// TestCredentialsAreDerived: the same secret gives the same passwords,
// another secret others, and short secrets are refused.
func TestCredentialsAreDerived(t *testing.T) {
	a, err := natsnode.NewCredentials(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := natsnode.NewCredentials(testSecret)
	c, _ := natsnode.NewCredentials(testSecret + "x")
	if a.Password("reader") != b.Password("reader") || a.Password("reader") == c.Password("reader") ||
		a.Password("reader") == a.Password("admin") || a.Route() == c.Route() {
		t.Error("passwords are not a function of the secret and the user")
	}
	if _, err := natsnode.NewCredentials("short"); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	if u := natsnode.NodeUser("198.18.0.101:10008"); u != "node-198_18_0_101-10008" {
		t.Errorf("node user %q", u)
	}
	if events.LeaseBucket != eventlog.LeaseBucket {
		t.Errorf("the node role may write $KV.%s.>, the lease is in %s", events.LeaseBucket, eventlog.LeaseBucket)
	}
}
