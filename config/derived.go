package config

import (
	"fmt"
	"reflect"
	"time"
)

// DefaultRaftPort is orchestrator's raft port; Regent uses it as the NATS
// cluster (route) port of a RaftNodes entry without a port.
const DefaultRaftPort = 10008

// MaskedValue is what Masked puts in place of a secret.
const MaskedValue = "********"

// Peer is one Regent node of the cluster as listed in RaftNodes.
type Peer struct {
	Host string
	Port int    // NATS route port
	Name string // host:port, the default NATS server name of that node
}

// RouteURL is the NATS route URL for the peer: nats-route://host:port.
func (p Peer) RouteURL() string { return "nats-route://" + p.Name }

// PollInterval is how often each instance is probed:
// InstancePollMilliseconds when set, else InstancePollSeconds.
func (c Config) PollInterval() time.Duration {
	if c.InstancePollMilliseconds > 0 {
		return time.Duration(c.InstancePollMilliseconds) * time.Millisecond
	}
	return time.Duration(c.InstancePollSeconds) * time.Second
}

// ProbeTimeout bounds one probe: ProbeTimeoutMilliseconds when set, else
// MySQLConnectTimeoutSeconds.
func (c Config) ProbeTimeout() time.Duration {
	if c.ProbeTimeoutMilliseconds > 0 {
		return time.Duration(c.ProbeTimeoutMilliseconds) * time.Millisecond
	}
	return time.Duration(c.MySQLConnectTimeoutSeconds) * time.Second
}

// EffectiveLogLevel is LogLevel, or "debug" when empty and Debug is true,
// else "info".
func (c Config) EffectiveLogLevel() string {
	switch {
	case c.LogLevel != "":
		return c.LogLevel
	case c.Debug:
		return "debug"
	}
	return "info"
}

// External reports whether Regent uses an external NATS (NATSServers)
// instead of embedding one.
func (c Config) External() bool { return len(c.NATSServers) > 0 }

// NATSClientListener reports whether the embedded NATS listens for TCP
// clients: NATSListenAddress is neither empty nor "-" (in-process only).
func (c Config) NATSClientListener() bool {
	return c.NATSListenAddress != "" && c.NATSListenAddress != "-"
}

// StreamReplicas is the replica count of Regent's streams: NATSStreamReplicas
// (at least 1) on an external NATS, 3 on an embedded cluster, else 1.
func (c Config) StreamReplicas() int {
	switch {
	case c.External():
		return max(c.NATSStreamReplicas, 1)
	case c.Clustered():
		return 3
	}
	return 1
}

// RaftPeers maps each RaftNodes entry ("host" or "host:port", port
// defaulting to DefaultRaftPort) to a Peer, in order.
func (c Config) RaftPeers() ([]Peer, error) {
	peers := make([]Peer, 0, len(c.RaftNodes))
	for i, n := range c.RaftNodes {
		p, err := parsePeer(n, c.DefaultRaftPort)
		if err != nil {
			return nil, fmt.Errorf("parse RaftNodes[%d]: %w", i, err)
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// Self is this node as its peers see it: RaftAdvertise, or RaftBind when
// RaftAdvertise is empty. An unparsable address yields a Peer holding only
// the raw Name (Load rejects such configs).
func (c Config) Self() Peer {
	addr := c.RaftAdvertise
	if addr == "" {
		addr = c.RaftBind
	}
	p, err := parsePeer(addr, c.DefaultRaftPort)
	if err != nil {
		return Peer{Name: addr}
	}
	return p
}

// Clustered reports whether this node runs as part of a multi-node
// cluster: RaftEnabled and RaftNodes lists at least one node besides Self.
func (c Config) Clustered() bool {
	if !c.RaftEnabled {
		return false
	}
	peers, err := c.RaftPeers()
	if err != nil {
		return len(c.RaftNodes) > 1
	}
	self := c.Self()
	for _, p := range peers {
		if p.Name != self.Name {
			return true
		}
	}
	return false
}

// NodeID names this node in events and as its NATS server name: NodeName
// when set, else Self's host:port when clustered, else "regent-1".
func (c Config) NodeID() string {
	switch {
	case c.NodeName != "":
		return c.NodeName
	case c.Clustered():
		return c.Self().Name
	}
	return "regent-1"
}

// Masked returns a copy with every non-empty secret (passwords, tokens)
// replaced by "********", and the credentials inside URLs (NATSServers,
// HTTPAdvertise) too, for printing.
func (c Config) Masked() Config {
	rv := reflect.ValueOf(&c).Elem()
	for _, ki := range knownKeys().ordered {
		if !ki.secret {
			continue
		}
		if f := rv.FieldByIndex(ki.index); f.String() != "" {
			f.SetString(MaskedValue)
		}
	}
	for _, key := range urlKeys {
		switch f := rv.FieldByName(key); f.Kind() {
		case reflect.String:
			f.SetString(MaskURL(f.String()))
		case reflect.Slice:
			f.Set(reflect.ValueOf(MaskURLs(f.Interface().([]string))))
		}
	}
	return c
}

// fieldsByName maps each key to its field, for rules over lists of keys.
func (c Config) fieldsByName() map[string]reflect.Value {
	rv := reflect.ValueOf(c)
	out := map[string]reflect.Value{}
	for _, ki := range knownKeys().ordered {
		out[ki.name] = rv.FieldByIndex(ki.index)
	}
	return out
}
