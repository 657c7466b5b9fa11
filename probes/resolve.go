package probes

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regent-ha/regent/events"
)

// ParseKey reads "host:port", "host" (defaultPort) or "[v6]:port".
func ParseKey(s string, defaultPort int) (events.InstanceKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return events.InstanceKey{}, fmt.Errorf("parse instance key: empty")
	}
	host, port := strings.Trim(s, "[]"), defaultPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return events.InstanceKey{}, fmt.Errorf("parse instance key %q: bad port: %w", s, err)
		}
		host, port = h, n
	}
	if host == "" || port <= 0 || port > 65535 {
		return events.InstanceKey{}, fmt.Errorf("parse instance key %q: want host:port", s)
	}
	k := events.InstanceKey{Hostname: host, Port: port}
	if err := k.Validate(); err != nil {
		return events.InstanceKey{}, fmt.Errorf("parse instance key: %w", err)
	}
	return k, nil
}

// splitHostPort is net.SplitHostPort with a numeric port.
func splitHostPort(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("parse port %q: %w", p, err)
	}
	return host, port, nil
}

// isIP reports whether host is an IP address literal.
func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// Resolver is the subset of *net.Resolver the name resolution uses.
type Resolver interface {
	LookupCNAME(ctx context.Context, host string) (string, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Server name resolution methods (MySQLHostnameResolveMethod).
const (
	resolveByHostname   = "hostname"
	resolveByReportHost = "report_host"
	resolveByNone       = "none"
)

// mysqlResolveMethod normalises MySQLHostnameResolveMethod.
func mysqlResolveMethod(m string) string {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "@@hostname", "hostname", "default", "":
		return resolveByHostname
	case "@@report_host", "report_host":
		return resolveByReportHost
	}
	return resolveByNone // "none" and anything else keep the dialled name
}

// serverIdentity is what a server says about its name.
type serverIdentity struct {
	Hostname   string // @@hostname
	ReportHost string // @@report_host ("" for NULL)
	ReportPort int    // @@report_port (0 for NULL)
}

// instanceName applies MySQLHostnameResolveMethod: the key under which the
// instance dialled as dialled is known. A name the server gives itself that
// events.ValidHost refuses is a *NameError.
func instanceName(method string, dialled events.InstanceKey, id serverIdentity) (events.InstanceKey, error) {
	switch mysqlResolveMethod(method) {
	case resolveByHostname:
		if id.Hostname == "" {
			return dialled, nil
		}
		if err := events.ValidHost(id.Hostname); err != nil {
			return events.InstanceKey{}, &NameError{Key: dialled, Field: "@@hostname", Err: err}
		}
		return events.InstanceKey{Hostname: id.Hostname, Port: dialled.Port}, nil
	case resolveByReportHost:
		if strings.TrimSpace(id.ReportHost) == "" {
			return events.InstanceKey{}, &ReportHostError{Key: dialled}
		}
		if err := events.ValidHost(id.ReportHost); err != nil {
			return events.InstanceKey{}, &NameError{Key: dialled, Field: "@@report_host", Err: err}
		}
		port := id.ReportPort
		if port <= 0 {
			port = dialled.Port
		}
		if err := events.ValidPort(port); err != nil {
			return events.InstanceKey{}, &NameError{Key: dialled, Field: "@@report_port", Err: err}
		}
		return events.InstanceKey{Hostname: id.ReportHost, Port: port}, nil
	}
	return dialled, nil
}

// checkSource checks the source a replica's SHOW SLAVE/REPLICA STATUS names
// (rep nil: not a replica): an invalid host or port is a *NameError naming
// the column. A detached source ("//host") is checked without its "//".
func checkSource(dialled events.InstanceKey, rows []row, rep *events.Replication) error {
	if rep == nil || rep.SourceKey.Hostname == "" {
		return nil
	}
	hostCol, portCol := "Master_Host", "Master_Port"
	if r, ok := pickChannel(rows); ok {
		if _, mysql8 := r.lookup("Source_Host"); mysql8 {
			hostCol, portCol = "Source_Host", "Source_Port"
		}
	}
	if err := events.ValidHost(strings.TrimPrefix(rep.SourceKey.Hostname, "//")); err != nil {
		return &NameError{Key: dialled, Field: hostCol, Err: err}
	}
	if err := events.ValidPort(rep.SourceKey.Port); err != nil {
		return &NameError{Key: dialled, Field: portCol, Err: err}
	}
	return nil
}

// nameCache resolves host names the way HostnameResolveMethod says and
// remembers names servers gave themselves, so a replica's Master_Host
// "db1" maps to the name db1's own probe chose.
type nameCache struct {
	method   string
	ttl      time.Duration
	resolver Resolver
	now      func() time.Time

	mu      sync.Mutex // guards entries
	entries map[string]nameEntry
}

type nameEntry struct {
	name    string
	expires time.Time
}

func newNameCache(method string, ttl time.Duration, r Resolver, now func() time.Time) *nameCache {
	return &nameCache{method: strings.ToLower(method), ttl: ttl, resolver: r, now: now, entries: make(map[string]nameEntry)}
}

// learn records that host is known as name (from the server's own answer).
func (c *nameCache) learn(host, name string) {
	if host == "" || name == "" || host == name {
		return
	}
	c.mu.Lock()
	c.entries[host] = nameEntry{name: name, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
}

// resolve returns host's canonical name: a learned name, else what DNS says
// under HostnameResolveMethod, else host itself. DNS is asked only for names
// that are not IP literals, and only for "cname" and "ip".
func (c *nameCache) resolve(ctx context.Context, host string) string {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[host]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name
	}
	if isIP(host) || c.resolver == nil {
		return host
	}
	name := host
	switch c.method {
	case "cname":
		if cn, err := c.resolver.LookupCNAME(ctx, host); err == nil && cn != "" {
			name = strings.TrimSuffix(cn, ".")
		}
	case "ip":
		if addrs, err := c.resolver.LookupHost(ctx, host); err == nil && len(addrs) > 0 {
			name = addrs[0]
		}
	default: // "none", "default": keep the name
		return host
	}
	if events.ValidHost(name) != nil {
		name = host // DNS answered with a name Regent does not accept
	}
	c.mu.Lock()
	c.entries[host] = nameEntry{name: name, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return name
}
