package events

import (
	"fmt"
	"strconv"
	"strings"
)

// Subject scheme. Every subject Regent writes starts with Prefix.
//
//	regent.obs.<cluster>.<instance>.<origin>   observations (stream REGENT_OBS)
//	regent.evt.<cluster>.<kind>                domain events (stream REGENT_EVENTS)
//
// <cluster>, <instance> and <origin> are escaped with Token, so host names
// with dots and colons stay one token and the wildcards `*` and `>` keep
// working. <origin> is the node that probed: on the embedded NATS only that
// node's identity may publish on its own origin token, and the fold takes
// the origin from the subject, not from the envelope:
//
//	nats sub 'regent.obs.>'                          every observation
//	nats sub 'regent.obs.*.198_18_0_2-3306.*'        one instance, every node
//	nats sub 'regent.obs.*.*.198_18_0_101-10008'     every observation of one node
//	nats sub 'regent.evt.198_18_0_1-3306.>'          one cluster's events
//	nats sub 'regent.evt.*.failure-detected'         every failure
const (
	Prefix           = "regent"
	ObservationRoot  = Prefix + ".obs"
	EventRoot        = Prefix + ".evt"
	NoCluster        = "_"       // token for "cluster not known (yet)"
	GlobalAggregate  = "_global" // token for events that belong to no cluster
	ObservationsAll  = ObservationRoot + ".>"
	EventsAll        = EventRoot + ".>"
	ObservationsName = "REGENT_OBS"
	// LeaseBucket is the KV bucket of the leader lease (its stream is
	// KV_REGENT_LEADER): the lease and the NATS permissions name it.
	LeaseBucket = "REGENT_LEADER"
	// MastersBucket is the KV bucket of each cluster's primary
	// (KVClusterMasterPrefix keys): the leader writes it, readers watch it.
	MastersBucket = "REGENT_MASTERS"
	EventsName    = "REGENT_EVENTS"
)

// Token escapes s into one NATS subject token that humans can still read:
// '.' becomes '_', ':' becomes '-' only when it separates a numeric port at
// the end, and every other byte outside [A-Za-z0-9-] becomes %XX. The mapping
// is injective, so two keys never share a subject.
func Token(s string) string {
	if s == "" {
		return NoCluster
	}
	host, port := s, ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 && i < len(s)-1 && isDigits(s[i+1:]) {
		host, port = s[:i], s[i+1:]
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '-':
			// A '-' followed only by digits up to the end would read as a
			// port separator: escape it in that position.
			if isDigits(host[i+1:]) && i+1 < len(host) {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		case c == '.':
			b.WriteByte('_')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if port != "" {
		b.WriteByte('-')
		b.WriteString(port)
	}
	return b.String()
}

// Untoken reverses Token.
func Untoken(t string) (string, error) {
	if t == NoCluster {
		return "", nil
	}
	host, port := t, ""
	if i := strings.LastIndexByte(t, '-'); i >= 0 && i < len(t)-1 && isDigits(t[i+1:]) {
		host, port = t[:i], t[i+1:]
	}
	var b strings.Builder
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch c {
		case '_':
			b.WriteByte('.')
		case '%':
			if i+2 >= len(host) {
				return "", fmt.Errorf("untoken %q: truncated escape", t)
			}
			v, err := strconv.ParseUint(host[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("untoken %q: bad escape: %w", t, err)
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	return b.String(), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ObservationSubject is the subject of an observation of instance (host:port)
// in cluster (may be empty when not yet known) made by node origin.
func ObservationSubject(cluster, instance, origin string) string {
	return ObservationRoot + "." + Token(cluster) + "." + Token(instance) + "." + Token(origin)
}

// NodeObservations is the wildcard subject of every observation node origin
// makes: the only observation subjects its NATS identity may publish on.
func NodeObservations(origin string) string {
	return ObservationRoot + ".*.*." + Token(origin)
}

// ObservationOriginToken returns the <origin> token of an observation
// subject (regent.obs.<cluster>.<instance>.<origin>), without allocating;
// false when subject does not have that shape.
func ObservationOriginToken(subject string) (string, bool) {
	const root = ObservationRoot + "."
	if len(subject) <= len(root) || subject[:len(root)] != root {
		return "", false
	}
	rest := subject[len(root):]
	// Three non-empty tokens: two dots, none first, last or doubled
	// (strings' byte searches are vectorised: this runs per folded record).
	last := strings.LastIndexByte(rest, '.')
	first := strings.IndexByte(rest, '.')
	if first <= 0 || last == len(rest)-1 || last-first < 2 || strings.IndexByte(rest[first+1:last], '.') >= 0 {
		return "", false
	}
	return rest[last+1:], true
}

// EventSubject is the subject of a domain event of the given kind in cluster
// (empty cluster: the global aggregate).
func EventSubject(cluster string, kind Kind) string {
	c := GlobalAggregate
	if cluster != "" {
		c = Token(cluster)
	}
	return EventRoot + "." + c + "." + kind.String()
}

// ClusterEvents is the wildcard subject of every event of one cluster: the
// aggregate used for optimistic concurrency.
func ClusterEvents(cluster string) string {
	c := GlobalAggregate
	if cluster != "" {
		c = Token(cluster)
	}
	return EventRoot + "." + c + ".>"
}
