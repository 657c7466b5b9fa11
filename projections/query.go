package projections

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// Errors of the query methods.
var (
	ErrUnknownCluster   = errors.New("unable to determine cluster name")
	ErrAmbiguousCluster = errors.New("cluster hint matches several clusters")
	ErrInvalidKey       = errors.New("invalid instance key")
)

// Now is the instant the view was computed for.
func (v *View) Now() time.Time { return v.now }

// Settings returns the settings the view was computed with.
func (v *View) Settings() Settings { return v.s }

// Instances returns every known instance sorted by hostname, port.
func (v *View) Instances() []*Instance { return v.instances }

// Instance returns the instance with the given key.
func (v *View) Instance(k events.InstanceKey) (*Instance, bool) {
	i, ok := v.byKey[k]
	return i, ok
}

// Evidence returns the per-origin evidence of an instance.
func (v *View) Evidence(k events.InstanceKey) (*Evidence, bool) {
	e, ok := v.evidence[k]
	return e, ok
}

// Replicas returns the known instances whose MasterKey is k, sorted by
// hostname, port (orchestrator's instance-replicas).
func (v *View) Replicas(k events.InstanceKey) []*Instance { return v.replicas[k] }

// Clusters returns every cluster sorted by name (clusters-info).
func (v *View) Clusters() []*ClusterInfo { return v.clusters }

// Cluster returns the summary of a cluster by exact name.
func (v *View) Cluster(name string) (*ClusterInfo, bool) {
	c, ok := v.byCluster[name]
	return c, ok
}

// ClusterInstances returns a cluster's instances sorted by hostname, port.
func (v *View) ClusterInstances(name string) []*Instance { return v.members[name] }

// ClusterMaster returns the cluster's master as orchestrator's `master`:
// among depth-0 instances and co-masters, writable first, then by depth.
func (v *View) ClusterMaster(name string) (*Instance, bool) {
	var best *Instance
	for _, i := range v.members[name] {
		if i.ReplicationDepth != 0 && !i.IsCoMaster {
			continue
		}
		if best == nil || (best.ReadOnly && !i.ReadOnly) ||
			(best.ReadOnly == i.ReadOnly && i.ReplicationDepth < best.ReplicationDepth) {
			best = i
		}
	}
	return best, best != nil
}

// Masters returns the writable master of every cluster that has one, by
// cluster name (orchestrator's `masters`).
func (v *View) Masters() []*Instance {
	var out []*Instance
	for _, c := range v.clusters {
		if m, ok := v.ClusterMaster(c.ClusterName); ok && !m.ReadOnly {
			out = append(out, m)
		}
	}
	return out
}

// ProblemInstances returns the instances with problems, in cluster (all
// when empty), hiding hosts that match ProblemIgnoreHostnameFilters.
func (v *View) ProblemInstances(cluster string) []*Instance {
	src := v.instances
	if cluster != "" {
		src = v.members[cluster]
	}
	var out []*Instance
	for _, i := range src {
		if len(i.Problems) == 0 || v.ignoredProblemHost(i.Key.Hostname) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (v *View) ignoredProblemHost(host string) bool {
	for _, rx := range v.s.ProblemIgnoreHostnameFilters {
		if rx != nil && rx.MatchString(host) {
			return true
		}
	}
	return false
}

// Search returns the instances whose host, host:port, cluster name,
// suggested cluster alias, version or version comment contain s, or whose
// server id or port is s (orchestrator's SearchInstances; s is trimmed);
// sorted as orchestrator does: replication depth, then most replicas
// first, then cluster name, hostname, port.
func (v *View) Search(s string) []*Instance {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []*Instance
	for _, i := range v.instances {
		if strings.Contains(i.Key.String(), s) ||
			strings.Contains(i.ClusterName, s) || strings.Contains(i.SuggestedClusterAlias, s) ||
			strings.Contains(i.Version, s) || strings.Contains(i.VersionComment, s) ||
			strconv.Itoa(int(i.ServerID)) == s || strconv.Itoa(i.Key.Port) == s {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		switch {
		case x.ReplicationDepth != y.ReplicationDepth:
			return x.ReplicationDepth < y.ReplicationDepth
		case len(x.SlaveHosts) != len(y.SlaveHosts):
			return len(x.SlaveHosts) > len(y.SlaveHosts)
		}
		return x.ClusterName < y.ClusterName // then hostname, port: v.instances' order
	})
	return out
}

// ParseInstanceKey parses "host:port" or "host" (defaultPort).
func ParseInstanceKey(s string, defaultPort int) (events.InstanceKey, error) {
	s = strings.TrimSpace(s)
	host, port := s, defaultPort
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		p, err := strconv.Atoi(s[i+1:])
		if err != nil || p <= 0 || p > 65535 {
			return events.InstanceKey{}, fmt.Errorf("parse instance key %q: %w", s, ErrInvalidKey)
		}
		host, port = s[:i], p
	}
	if host == "" || port <= 0 {
		return events.InstanceKey{}, fmt.Errorf("parse instance key %q: %w", s, ErrInvalidKey)
	}
	k := events.InstanceKey{Hostname: host, Port: port}
	if err := k.Validate(); err != nil {
		return events.InstanceKey{}, fmt.Errorf("parse instance key: %w: %w", ErrInvalidKey, err)
	}
	return k, nil
}

// ResolveCluster turns a cluster hint into a cluster name, trying in order:
// exact cluster name, exact cluster alias, instance key (host[:port]) of a
// known instance, and a fuzzy host prefix (with the port when given) that
// matches the instances of exactly one cluster.
func (v *View) ResolveCluster(hint string) (string, error) {
	hint = strings.TrimSpace(hint)
	if hint == "" {
		return "", fmt.Errorf("resolve cluster: empty hint: %w", ErrUnknownCluster)
	}
	if _, ok := v.byCluster[hint]; ok {
		return hint, nil
	}
	if name, err := v.byAlias(hint); name != "" || err != nil {
		return name, err
	}
	portGiven := strings.Contains(hint, ":")
	key, err := ParseInstanceKey(hint, v.s.DefaultInstancePort)
	if err != nil {
		return "", fmt.Errorf("resolve cluster %q: %w", hint, ErrUnknownCluster)
	}
	if i, ok := v.byKey[key]; ok {
		return i.ClusterName, nil
	}
	found := map[string]bool{}
	for _, i := range v.instances {
		if strings.HasPrefix(i.Key.Hostname, key.Hostname) && (!portGiven || i.Key.Port == key.Port) {
			found[i.ClusterName] = true
		}
	}
	return single(hint, found)
}

func (v *View) byAlias(hint string) (string, error) {
	found := map[string]bool{}
	for _, c := range v.clusters {
		if c.ClusterAlias == hint {
			found[c.ClusterName] = true
		}
	}
	if len(found) == 0 {
		return "", nil
	}
	return single(hint, found)
}

func single(hint string, found map[string]bool) (string, error) {
	switch len(found) {
	case 0:
		return "", fmt.Errorf("resolve cluster %q: %w", hint, ErrUnknownCluster)
	case 1:
		for n := range found {
			return n, nil
		}
	}
	names := make([]string, 0, len(found))
	for n := range found {
		names = append(names, n)
	}
	sort.Strings(names)
	return "", fmt.Errorf("resolve cluster %q: %w: %s", hint, ErrAmbiguousCluster, strings.Join(names, ", "))
}
