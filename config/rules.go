package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// clusterFilterKeys hold orchestrator cluster filters: "*", "alias=NAME",
// "alias~=REGEX", or a regular expression on the cluster name.
var clusterFilterKeys = [...]string{"RecoverMasterClusterFilters", "RecoverIntermediateMasterClusterFilters"}

// checkClusterFilters compiles every cluster filter the way the analysis
// does (projections.CompileClusterFilters; cmd/regent's preflight runs
// that too, so the two cannot disagree unnoticed).
func (c Config) checkClusterFilters(ck *checker) {
	fields := c.fieldsByName()
	for _, key := range clusterFilterKeys {
		for _, f := range fields[key].Interface().([]string) {
			if err := checkClusterFilter(f); err != nil {
				ck.bad(key, "%v", err)
			}
		}
	}
}

func checkClusterFilter(f string) error {
	pattern := f
	switch {
	case f == "*" || strings.HasPrefix(f, "alias="):
		return nil
	case strings.HasPrefix(f, "alias~="):
		pattern = strings.TrimPrefix(f, "alias~=")
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return fmt.Errorf("bad regular expression in filter %q: %v (a filter is \"*\", alias=NAME, alias~=REGEX or a REGEX on the cluster name)", f, err)
	}
	return nil
}

// checkRaftDuplicates refuses a RaftNodes list that names one node twice,
// however it is written (case, default port, IPv6 spelling, a trailing
// dot): the quorum would be counted over entries, not nodes. A host name
// and its IP address cannot be told apart without DNS and are not checked.
func (c Config) checkRaftDuplicates(ck *checker, peers []Peer) {
	seen := map[string]int{}
	for i, p := range peers {
		k := peerIdentity(p)
		if first, dup := seen[k]; dup {
			ck.bad("RaftNodes", "RaftNodes[%d] %q and RaftNodes[%d] %q are the same node %s: list each node once (the quorum is counted over the entries)",
				first, c.RaftNodes[first], i, c.RaftNodes[i], p.Name)
			continue
		}
		seen[k] = i
	}
}

// peerIdentity is the comparison key of a peer: canonical IP or lower-case
// host without a trailing dot, and the port.
func peerIdentity(p Peer) string {
	host := strings.TrimSuffix(strings.ToLower(p.Host), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	return fmt.Sprintf("%s/%d", host, p.Port)
}

// vipNameChars are the characters accepted in VIPInterface: Linux accepts
// more, but the name is substituted into VIPAddCommand and friends, which
// a shell runs.
var vipNameChars = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

// checkVIPInterface checks the syntax of an interface name (1-15
// characters, not "." or "..", no '/', whitespace or ':' except in the
// alias form "eth0:1"). The interface lives on the DB hosts: whether it
// exists cannot be checked here.
func checkVIPInterface(name string) error {
	const hint = "; whether it exists on the DB hosts cannot be checked from here"
	if n := len(name); n > 15 {
		return fmt.Errorf("%q is %d characters long: Linux interface names have 1 to 15%s", name, n, hint)
	}
	base, alias, isAlias := strings.Cut(name, ":")
	for _, part := range []string{base, alias} {
		if !isAlias && part == alias {
			continue
		}
		switch {
		case part == "":
			return fmt.Errorf("%q is not an interface name (empty part around ':'; the alias form is eth0:1)%s", name, hint)
		case part == "." || part == "..":
			return fmt.Errorf("%q is not a usable interface name%s", name, hint)
		case !vipNameChars.MatchString(part):
			return fmt.Errorf("%q is not a usable interface name: use letters, digits, '.', '_' and '-', starting with a letter, digit or '_' (and one ':' for an alias, eth0:1); no '/', whitespace or shell characters%s", name, hint)
		}
	}
	return nil
}

// MaskURL returns s with the credentials of a URL replaced by "********":
// scheme://user:password@host becomes scheme://user:********@host, and
// scheme://token@host (a user name alone may be a token) becomes
// scheme://********@host. A string that does not parse as a URL (an error
// about a malformed URL must be masked too) has everything up to its last
// '@' masked the same way.
func MaskURL(s string) string {
	start := strings.Index(s, "://")
	if start < 0 {
		start = 0 // nats.go reads host:port without a scheme
	} else {
		start += len("://")
	}
	end := len(s)
	if u, err := url.Parse(s); err == nil && start > 0 {
		if u.User == nil {
			return s
		}
		if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
			end = start + i // the authority, as url.Parse reads it
		}
	}
	at := strings.LastIndex(s[start:end], "@")
	if at < 0 {
		return s
	}
	at += start
	user, _, hasPassword := strings.Cut(s[start:at], ":")
	if hasPassword {
		return s[:start] + user + ":" + MaskedValue + s[at:]
	}
	return s[:start] + MaskedValue + s[at:]
}

// MaskURLs applies MaskURL to each entry.
func MaskURLs(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = MaskURL(s)
	}
	return out
}

// urlKeys hold URLs that may carry credentials; Masked masks them.
var urlKeys = [...]string{"NATSServers", "HTTPAdvertise"}

// checkTLSFiles loads the files the way serve does: each named file must
// be readable, the certificate and key must load as a pair, and the CA
// file must hold PEM certificates. caKey may be "".
func (c Config) checkTLSFiles(ck *checker, certKey, keyKey, caKey string) {
	fields := c.fieldsByName()
	ok := true
	for _, key := range [...]string{certKey, keyKey, caKey} {
		if key == "" {
			continue
		}
		if path := fields[key].String(); path != "" {
			if err := readable(path); err != nil {
				ck.bad(key, "%v", err)
				ok = false
			}
		}
	}
	if !ok {
		return
	}
	cert, key := fields[certKey].String(), fields[keyKey].String()
	if cert != "" && key != "" {
		if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
			ck.bad(certKey, "%s and %s (%s) do not load as a certificate and its key: %v", cert, keyKey, key, err)
		}
	}
	if caKey == "" {
		return
	}
	if ca := fields[caKey].String(); ca != "" {
		pem, err := os.ReadFile(ca)
		if err == nil && !x509.NewCertPool().AppendCertsFromPEM(pem) {
			ck.bad(caKey, "%s holds no PEM certificate", ca)
		}
	}
}

// checkNATSNames applies what the embedded nats-server refuses at start:
// a clustered node needs its client listener (routes are solicited
// through it), and server and cluster names cannot hold spaces.
func (c Config) checkNATSNames(ck *checker) {
	if c.External() {
		return
	}
	if c.Clustered() && !c.NATSClientListener() {
		ck.badNear("NATSListenAddress", "RaftEnabled", "a clustered node needs its client listener (the embedded NATS solicits its routes through it); got %q", c.NATSListenAddress)
	}
	if strings.ContainsAny(c.NodeID(), " \t\r\n") {
		key := "NodeName"
		if c.NodeName == "" {
			key = "RaftAdvertise"
		}
		ck.bad(key, "the node's name %q (its NATS server name) cannot contain spaces", c.NodeID())
	}
	if c.Clustered() && (c.NATSClusterName == "" || strings.ContainsAny(c.NATSClusterName, " \t\r\n")) {
		ck.badNear("NATSClusterName", "RaftEnabled", "want a cluster name without spaces, the same on every node; got %q", c.NATSClusterName)
	}
}

// checkHTTPPaths checks URLPrefix and StatusEndpoint as the API's route
// patterns will use them: a path of plain segments (a brace would be read
// as a wildcard, a space as the end of the pattern). Whether a
// StatusEndpoint collides with one of the API's own routes is checked by
// cmd/regent's preflight, which registers them.
func (c Config) checkHTTPPaths(ck *checker) {
	for _, kv := range [...][2]string{{"URLPrefix", c.URLPrefix}, {"StatusEndpoint", c.StatusEndpoint}} {
		key, p := kv[0], kv[1]
		if p == "" && key == "URLPrefix" {
			continue
		}
		switch {
		case !strings.HasPrefix(p, "/"):
			ck.bad(key, "want a path starting with '/', got %q", p)
		case strings.ContainsAny(p, "{}?#%\\ \t\r\n") || strings.Contains(p, "//"):
			ck.bad(key, "want a plain path (no spaces, braces, '?', '#', '%%', '\\\\' or '//'), got %q", p)
		}
	}
}
