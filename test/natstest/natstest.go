package natstest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events/natsnode"
)

// Ports handed out by FreePort come from below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range starts at 32768 by default). A port taken
// from the ephemeral range can be handed by the kernel to another listener
// on port 0, or to an outgoing connection, between the check and the bind:
// a route port then collided with a node's random client port in CI.
const (
	portLow  = 20000
	portHigh = 32767
)

var (
	portMu   sync.Mutex
	portRand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	portUsed = map[int]bool{}
)

// FreePort returns a TCP port on 127.0.0.1, outside the ephemeral range, that
// was free a moment ago and that this process has not handed out before.
func FreePort(tb testing.TB) int {
	tb.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range 1000 {
		p := portLow + portRand.IntN(portHigh-portLow+1)
		if portUsed[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		portUsed[p] = true
		return p
	}
	tb.Fatalf("free port: none free in %d-%d after 1000 tries", portLow, portHigh)
	return 0
}

// Options returns the options of a single test node.
func Options(tb testing.TB, name string) natsnode.Options {
	return natsnode.Options{
		Name:       name,
		StoreDir:   filepath.Join(tb.TempDir(), name),
		ClientHost: "127.0.0.1",
		ClientPort: FreePort(tb),
		MaxMemory:  64 << 20,
		MaxStore:   256 << 20,
		Logger:     zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.WarnLevel),
	}
}

// Node starts one embedded node.
func Node(tb testing.TB) *natsnode.Node {
	tb.Helper()
	n, err := natsnode.Start(Options(tb, "test-1"), 5*time.Second)
	if err != nil {
		tb.Fatalf("start node: %v", err)
	}
	tb.Cleanup(n.Shutdown)
	return n
}

// The route credentials of the nodes Cluster starts.
const (
	RouteUser     = "route"
	RoutePassword = "natstest-route-password"
)

// Cluster starts n clustered nodes and returns them with their options (to
// restart one).
func Cluster(tb testing.TB, n int) ([]*natsnode.Node, []natsnode.Options) {
	tb.Helper()
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		ports[i] = FreePort(tb)
		routes[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))
	}
	opts := make([]natsnode.Options, n)
	nodes := make([]*natsnode.Node, n)
	for i := range n {
		o := Options(tb, fmt.Sprintf("n%d", i+1))
		o.Cluster = &natsnode.ClusterOptions{Name: "regent-test", Host: "127.0.0.1", Port: ports[i], Routes: routes,
			User: RouteUser, Password: RoutePassword}
		opts[i] = o
	}
	for i := range n {
		nd, err := natsnode.Start(opts[i], 10*time.Second)
		if err != nil {
			tb.Fatalf("start node %d: %v", i+1, err)
		}
		nodes[i] = nd
		tb.Cleanup(nd.Shutdown)
	}
	return nodes, opts
}

// Conn opens an in-process connection to node, closed at cleanup.
func Conn(tb testing.TB, node *natsnode.Node) *nats.Conn {
	tb.Helper()
	nc, err := node.InProcessConn("test")
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Eventually calls f every interval until it returns nil or timeout passes.
func Eventually(tb testing.TB, timeout, interval time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = f(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}
