package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// regexKeys hold one regular expression each; regexListKeys hold lists.
var (
	regexKeys = [...]string{
		"DataCenterPattern", "RegionPattern", "PhysicalEnvironmentPattern", "RejectHostnameResolvePattern",
	}
	regexListKeys = [...]string{
		"DiscoveryIgnoreReplicaHostnameFilters", "DiscoveryIgnoreMasterHostnameFilters",
		"DiscoveryIgnoreHostnameFilters", "ProblemIgnoreHostnameFilters",
		"RecoveryIgnoreHostnameFilters", "PromotionIgnoreHostnameFilters", "OSCIgnoreHostnameFilters",
	}
)

// Validate checks the cross-field rules on a Config built in code (Load
// runs the same checks and adds file locations).
func (c Config) Validate() error {
	return errors.Join(c.validate(nil)...)
}

// checker collects validation errors, locating each key where it was set.
type checker struct {
	origins map[string]origin
	errs    []error
}

func (ck *checker) bad(key, format string, args ...any) {
	ck.badNear(key, "", format, args...)
}

// badNear is bad for a key that may still hold its default: the error is
// then located where the related key that requires it was set.
func (ck *checker) badNear(key, related, format string, args ...any) {
	at, ok := ck.origins[key]
	if !ok && related != "" {
		at = ck.origins[related]
	}
	msg := keyMessage(key, at, fmt.Sprintf(format, args...))
	ck.errs = append(ck.errs, &KeyError{Diagnostic{Key: key, File: at.file, Line: at.line, Message: msg}})
}

func (c Config) validate(origins map[string]origin) []error {
	ck := &checker{origins: origins}
	c.checkRaft(ck)
	c.checkPromotion(ck)
	c.checkHTTP(ck)
	c.checkDiscovery(ck)
	c.checkLogging(ck)
	c.checkNATS(ck)
	c.checkNATSAuth(ck)
	c.checkVIP(ck)
	c.checkBounds(ck)
	c.checkClusterFilters(ck)
	c.checkNATSNames(ck)
	c.checkHTTPPaths(ck)
	c.checkKVPrefix(ck)
	return ck.errs
}

func (c Config) checkRaft(ck *checker) {
	if c.DefaultRaftPort < 1 || c.DefaultRaftPort > 65535 {
		ck.bad("DefaultRaftPort", "want a port 1-65535, got %d", c.DefaultRaftPort)
		return
	}
	if c.RaftDataDir == "" && (c.RaftEnabled || len(c.NATSServers) == 0) {
		ck.badNear("RaftDataDir", "RaftEnabled", "must be set: it holds the embedded JetStream store")
	}
	if !c.RaftEnabled {
		return
	}
	if c.RaftBind == "" {
		ck.badNear("RaftBind", "RaftEnabled", "must be set when RaftEnabled is true")
	}
	if len(c.RaftNodes) == 0 {
		ck.badNear("RaftNodes", "RaftEnabled", "must list the cluster's nodes when RaftEnabled is true")
	}
	peers, err := c.RaftPeers()
	if err != nil {
		ck.bad("RaftNodes", "%v", err)
		return
	}
	c.checkRaftDuplicates(ck, peers)
	if len(peers) == 2 && !c.External() {
		ck.bad("RaftNodes", "lists 2 nodes: the streams keep 3 replicas on a cluster, which 2 nodes cannot place (and 2 nodes survive no loss); list 1 node or 3 or more")
	}
	if c.RaftBind == "" || len(peers) == 0 {
		return
	}
	bind, err := parsePeer(c.RaftBind, c.DefaultRaftPort)
	if err != nil {
		ck.bad("RaftBind", "%v", err)
		return
	}
	self := c.Self()
	for _, p := range peers {
		if p.Name == bind.Name || p.Name == self.Name {
			return
		}
	}
	ck.bad("RaftBind", "%s (or RaftAdvertise %s) is not one of RaftNodes %v", bind.Name, self.Name, c.RaftNodes)
}

func (c Config) checkPromotion(ck *checker) {
	if c.FailMasterPromotionIfSQLThreadNotUpToDate && c.DelayMasterPromotionIfSQLThreadNotUpToDate {
		ck.bad("FailMasterPromotionIfSQLThreadNotUpToDate",
			"cannot be true together with DelayMasterPromotionIfSQLThreadNotUpToDate")
	}
	if c.FailMasterPromotionOnLagMinutes > 0 && c.ReplicationLagQuery == "" {
		ck.bad("FailMasterPromotionOnLagMinutes", "> 0 requires ReplicationLagQuery")
	}
	// A heartbeat period the replica waits out longer than the stall
	// threshold would make every idle replica look stalled. (checkBounds
	// checks each key's range.)
	if h, s := c.ReplicationHeartbeatMilliseconds, c.ReplicationStallMilliseconds; h >= 1 && s > 0 && 2*int64(s) < 5*int64(h) {
		ck.bad("ReplicationStallMilliseconds", "%d is less than 2.5 × ReplicationHeartbeatMilliseconds (%d): idle replicas would look stalled", s, h)
	}
}

func (c Config) checkHTTP(ck *checker) {
	switch c.AuthenticationMethod {
	case "", "proxy":
	case "basic", "multi":
		if c.HTTPAuthUser == "" {
			ck.badNear("HTTPAuthUser", "AuthenticationMethod", "must be set when AuthenticationMethod is %q", c.AuthenticationMethod)
		}
		if c.HTTPAuthPassword == "" {
			ck.badNear("HTTPAuthPassword", "AuthenticationMethod", "must be set when AuthenticationMethod is %q (an empty password lets anyone who knows the user in)", c.AuthenticationMethod)
		}
	case "token", "oauth":
		ck.bad("AuthenticationMethod", "%q is not supported by Regent (use basic, multi or proxy)", c.AuthenticationMethod)
	default:
		ck.bad("AuthenticationMethod", "want one of \"\", basic, multi, proxy; got %q", c.AuthenticationMethod)
	}
	if err := checkHostPort(c.ListenAddress); err != nil {
		ck.bad("ListenAddress", "%v", err)
	}
	c.checkSSL(ck)
	c.checkTopologyTLS(ck)
	if c.HTTPAdvertise != "" {
		u, err := url.Parse(c.HTTPAdvertise)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
			ck.bad("HTTPAdvertise", "must start with http:// or https://, got %q", MaskURL(c.HTTPAdvertise))
		case u.User != nil:
			ck.bad("HTTPAdvertise", "must not hold credentials, got %q", MaskURL(c.HTTPAdvertise))
		case u.Hostname() == "" || u.Port() == "":
			ck.bad("HTTPAdvertise", "must include a host and a port, got %q", MaskURL(c.HTTPAdvertise))
		case u.Path != "" && u.Path != "/":
			ck.bad("HTTPAdvertise", "must not include a path, got %q", MaskURL(c.HTTPAdvertise))
		}
	}
}

// checkSSL applies the UseSSL rules: the key pair is required and every
// file named must be readable; UseMutualTLS needs UseSSL, a CA to verify
// client certificates against, and the OUs to accept (orchestrator refuses
// every client when SSLValidOUs is empty).
func (c Config) checkSSL(ck *checker) {
	if c.UseMutualTLS && !c.UseSSL {
		ck.bad("UseMutualTLS", "requires UseSSL true")
	}
	if !c.UseSSL {
		return
	}
	for _, key := range [...]string{"SSLCertFile", "SSLPrivateKeyFile"} {
		if c.fieldsByName()[key].String() == "" {
			ck.badNear(key, "UseSSL", "must be set when UseSSL is true")
		}
	}
	if c.UseMutualTLS {
		if c.SSLCAFile == "" {
			ck.badNear("SSLCAFile", "UseMutualTLS", "must be set when UseMutualTLS is true: client certificates are verified against it")
		}
		if len(c.SSLValidOUs) == 0 {
			ck.badNear("SSLValidOUs", "UseMutualTLS", "must list the client certificate OUs to accept when UseMutualTLS is true (empty refuses every client)")
		}
	}
	c.checkTLSFiles(ck, "SSLCertFile", "SSLPrivateKeyFile", "SSLCAFile")
}

// checkTopologyTLS applies MySQLTopologyUseMutualTLS's rule: a client
// certificate needs its key pair (orchestrator fails to load an empty pair
// too), and every file named must be readable.
func (c Config) checkTopologyTLS(ck *checker) {
	if c.MySQLTopologyUseMutualTLS {
		for _, key := range [...]string{"MySQLTopologySSLCertFile", "MySQLTopologySSLPrivateKeyFile"} {
			if c.fieldsByName()[key].String() == "" {
				ck.badNear(key, "MySQLTopologyUseMutualTLS", "must be set when MySQLTopologyUseMutualTLS is true: it is the client certificate Regent presents")
			}
		}
	}
	c.checkTLSFiles(ck, "MySQLTopologySSLCertFile", "MySQLTopologySSLPrivateKeyFile", "MySQLTopologySSLCAFile")
}

// readable reports why path cannot be opened for reading, or nil.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	return f.Close()
}

func (c Config) checkDiscovery(ck *checker) {
	fields := c.fieldsByName()
	for _, key := range regexKeys {
		if p := fields[key].String(); p != "" {
			if _, err := regexp.Compile(p); err != nil {
				ck.bad(key, "bad regular expression %q: %v", p, err)
			}
		}
	}
	for _, key := range regexListKeys {
		for _, p := range fields[key].Interface().([]string) {
			if _, err := regexp.Compile(p); err != nil {
				ck.bad(key, "bad regular expression %q: %v", p, err)
			}
		}
	}
	switch c.MySQLHostnameResolveMethod {
	case "@@hostname", "hostname", "default", "@@report_host", "report_host", "none":
	default:
		ck.bad("MySQLHostnameResolveMethod", "want one of @@hostname, hostname, default, @@report_host, report_host, none; got %q", c.MySQLHostnameResolveMethod)
	}
	switch c.HostnameResolveMethod {
	case "default", "cname", "none":
	default:
		ck.bad("HostnameResolveMethod", "want one of default, cname, none; got %q", c.HostnameResolveMethod)
	}
	if c.InstancePollMilliseconds == 0 && c.InstancePollSeconds < 1 {
		ck.bad("InstancePollSeconds", "want ≥ 1 (or set InstancePollMilliseconds), got %d", c.InstancePollSeconds)
	}
	if c.ProbeTimeoutMilliseconds == 0 && c.MySQLConnectTimeoutSeconds == 0 {
		ck.bad("MySQLConnectTimeoutSeconds", "want ≥ 1 (or set ProbeTimeoutMilliseconds), got %d", c.MySQLConnectTimeoutSeconds)
	}
	if c.DefaultInstancePort < 1 || c.DefaultInstancePort > 65535 {
		ck.bad("DefaultInstancePort", "want a port 1-65535, got %d", c.DefaultInstancePort)
	}
}

func (c Config) checkLogging(ck *checker) {
	switch c.LogFormat {
	case "json", "console", "auto":
	default:
		ck.bad("LogFormat", "want json, console or auto; got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "", "trace", "debug", "info", "warn", "error":
	default:
		ck.bad("LogLevel", "want trace, debug, info, warn or error; got %q", c.LogLevel)
	}
}

func (c Config) checkNATS(ck *checker) {
	if c.NATSClientListener() {
		if err := checkHostPort(c.NATSListenAddress); err != nil {
			ck.bad("NATSListenAddress", "%v (or \"-\" for no client listener)", err)
		}
	}
	for _, s := range c.NATSServers {
		u, err := url.Parse(s)
		var ue *url.Error
		switch {
		case errors.As(err, &ue): // its message repeats the URL: credentials and all
			ck.bad("NATSServers", "URL %q: %v", MaskURL(s), ue.Err)
		case err != nil:
			ck.bad("NATSServers", "URL %q does not parse", MaskURL(s))
		case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
			ck.bad("NATSServers", "want a nats://host:port URL, got %q", MaskURL(s))
		case u.Hostname() == "":
			ck.bad("NATSServers", "URL %q has no host", MaskURL(s))
		}
	}
	pairs := [][2]string{{"NATSTLSCertFile", "NATSTLSKeyFile"}, {"NATSClusterTLSCertFile", "NATSClusterTLSKeyFile"}}
	fields := c.fieldsByName()
	for _, p := range pairs {
		if (fields[p[0]].String() == "") != (fields[p[1]].String() == "") {
			ck.bad(p[0], "%s and %s must be set together", p[0], p[1])
		}
	}
	c.checkTLSFiles(ck, "NATSTLSCertFile", "NATSTLSKeyFile", "NATSTLSCAFile")
	c.checkTLSFiles(ck, "NATSClusterTLSCertFile", "NATSClusterTLSKeyFile", "NATSClusterTLSCAFile")
}

func (c Config) checkVIP(ck *checker) {
	if c.VIPAddress == "" {
		return
	}
	if _, err := netip.ParseAddr(c.VIPAddress); err != nil {
		ck.bad("VIPAddress", "want an IP address, got %q", c.VIPAddress)
	}
	if c.VIPInterface == "" {
		ck.badNear("VIPInterface", "VIPAddress", "must be set when VIPAddress is set")
	} else if err := checkVIPInterface(c.VIPInterface); err != nil {
		ck.bad("VIPInterface", "%v", err)
	}
}

// checkHostPort accepts "host:port" and ":port" with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("want a numeric port 0-65535 in %q", addr)
	}
	return nil
}

// parsePeer parses "host" or "host:port" (IPv6 as "[::1]:port" or bare).
func parsePeer(entry string, defaultPort int) (Peer, error) {
	entry = strings.TrimSpace(entry)
	host, portStr, err := net.SplitHostPort(entry)
	switch {
	case err == nil:
	case strings.Count(entry, ":") > 1 && !strings.Contains(entry, "]"):
		host, portStr = entry, "" // bare IPv6 address
	case !strings.Contains(entry, ":"):
		host, portStr = strings.Trim(entry, "[]"), ""
	default:
		return Peer{}, fmt.Errorf("want host or host:port, got %q", entry)
	}
	if host == "" {
		return Peer{}, fmt.Errorf("want host or host:port, got %q", entry)
	}
	port := defaultPort
	if portStr != "" {
		port, err = strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return Peer{}, fmt.Errorf("want a port 1-65535 in %q", entry)
		}
	}
	name := net.JoinHostPort(strings.ToLower(host), strconv.Itoa(port))
	return Peer{Host: strings.ToLower(host), Port: port, Name: name}, nil
}
