package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Addresses derived from the config: how this node and its peers are
// reached, and URLs' credentials masked in errors.

// APIAddress is the address peers and clients use to reach this node's
// API: HTTPAdvertise (without scheme or trailing slash), else the raft host
// with ListenAddress's port.
func (cfg Config) APIAddress() string {
	if cfg.HTTPAdvertise != "" {
		s := strings.TrimPrefix(strings.TrimPrefix(cfg.HTTPAdvertise, "http://"), "https://")
		return strings.TrimRight(s, "/")
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddress)
	if err != nil {
		return cfg.ListenAddress
	}
	if self := cfg.Self(); cfg.Clustered() && self.Host != "" {
		host = self.Host
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// NodeIDs are the NodeIDs of every node of the cluster: each RaftNodes
// entry when clustered, else this node alone.
func (cfg Config) NodeIDs() ([]string, error) {
	if !cfg.Clustered() {
		return []string{cfg.NodeID()}, nil
	}
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = p.Name
	}
	return ids, nil
}

// PeerAPIAddresses are the API addresses of the configured peers, which a
// follower may forward writes to: each RaftNodes host with this node's
// ListenAddress port (how a node derives its address when HTTPAdvertise is
// empty) and with HTTPAdvertise's port when it is set, and this node's own
// advertised address. None on a single node: it never forwards.
func (cfg Config) PeerAPIAddresses() []string {
	if !cfg.Clustered() {
		return nil
	}
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil
	}
	var ports []string
	if _, port, err := net.SplitHostPort(cfg.ListenAddress); err == nil {
		ports = append(ports, port)
	}
	if _, port, err := net.SplitHostPort(cfg.APIAddress()); err == nil && !slices.Contains(ports, port) {
		ports = append(ports, port)
	}
	out := []string{cfg.APIAddress()}
	for _, p := range peers {
		for _, port := range ports {
			if a := net.JoinHostPort(p.Host, port); !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// PeerNames names the configured nodes: each RaftNodes entry's Name, or
// only NodeID when RaftNodes is empty or does not parse. Its length is the
// number of nodes whose vantages the fold weighs (projections.Settings.Nodes).
func (cfg Config) PeerNames() []string {
	peers, err := cfg.RaftPeers()
	if err != nil || len(peers) == 0 {
		return []string{cfg.NodeID()}
	}
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.Name
	}
	return out
}

// CheckPeer accepts a leader lease held by a configured peer: holder is a
// RaftNodes entry or this node's id, or (peers named by NodeName) addr is
// a peer's API address (PeerAPIAddresses). Any other holder is an error
// naming it: the node does not follow it.
func (cfg Config) CheckPeer(holder, addr string) error {
	names, _ := cfg.NodeIDs() // nil when RaftPeers fails: this node alone
	names = append(names, cfg.NodeID())
	if slices.Contains(names, holder) || (addr != "" && slices.Contains(cfg.PeerAPIAddresses(), addr)) {
		return nil
	}
	return fmt.Errorf("holder %q at %q is not a configured peer (RaftNodes %v)", holder, addr, cfg.RaftNodes)
}

// maskedError is err with the credentials of urls masked in its message;
// errors.Is and errors.As still see err.
type maskedError struct {
	err error
	msg string
}

func (e maskedError) Error() string { return e.msg }
func (e maskedError) Unwrap() error { return e.err }

// MaskURLError masks, in err's message, each of urls (as written, e.g. in a
// url.Error) and the password or token each holds. nil stays nil.
func MaskURLError(err error, urls []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range urls {
		msg = strings.ReplaceAll(msg, s, MaskURL(s))
		if u, perr := url.Parse(s); perr == nil && u.User != nil {
			secret, ok := u.User.Password()
			if !ok {
				secret = u.User.Username() // a token
			}
			if secret != "" {
				msg = strings.ReplaceAll(msg, secret, MaskedValue)
			}
		}
	}
	if msg == err.Error() {
		return err
	}
	return maskedError{err: err, msg: msg}
}

// SplitHostPort reads "host:port" with a port 0–65535.
func SplitHostPort(a string) (string, int, error) {
	host, ps, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	return host, p, nil
}

// SplitHostPortDefault reads "host", "host:port", "[v6]:port", "[v6]" and
// a bare IPv6 address, as config's RaftBind rule does.
func SplitHostPortDefault(a string, def int) (string, int, error) {
	switch {
	case !strings.Contains(a, ":"):
		return a, def, nil
	case strings.Count(a, ":") > 1 && !strings.Contains(a, "]"):
		return a, def, nil // bare IPv6 address
	case strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]"):
		return strings.Trim(a, "[]"), def, nil
	}
	return SplitHostPort(a)
}
