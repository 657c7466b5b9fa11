package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// mastersPublishEvery is how often the leader compares the primaries with
// what it last published; every mastersVerifyRounds rounds it compares
// with the bucket itself and rewrites what differs (a value stored there
// by anything else lives at most that long).
const (
	mastersPublishEvery = 500 * time.Millisecond
	mastersVerifyRounds = 10
)

// KVPair is one key and value of the masters KV bucket, as orchestrator's
// kv.KVPair (api.KVPair is this type).
type KVPair struct {
	Key   string
	Value string
}

// kvStore is the masters bucket (eventlog.Masters).
type kvStore interface {
	Put(ctx context.Context, key, value string, force bool) (bool, error)
}

// MastersKV publishes each cluster's writable primary to the masters KV
// bucket while this node leads, as orchestrator's KV pairs:
// <prefix><alias> = host:port, then /hostname, /port, /ipv4, /ipv6. It
// writes only what changed (a failover, a new cluster, an alias); Run owns
// the loop, SubmitMasters (the API, api.MastersKV) may run beside it.
type MastersKV struct {
	prefix  string // config.MastersKVPrefix
	views   MastersViews
	store   kvStore
	leading func() bool
	// resolve gives a host's first IPv4 and IPv6 address ("" when none).
	resolve func(ctx context.Context, host string) (ipv4, ipv6 string)
	log     zerolog.Logger

	mu   sync.Mutex        // serialises writes; guards last
	last map[string]string // primary pair last written per cluster key, while leading
}

// MastersViews is what the publisher reads: the topology and the
// recoveries (the applier).
type MastersViews interface {
	View() *projections.View
	Recoveries() *analysis.Recoveries
}

func NewMastersKV(prefix string, views MastersViews, elog *eventlog.Log,
	leading func() bool, logger zerolog.Logger) *MastersKV {
	return &MastersKV{prefix: prefix, views: views, store: elog.NewMasters(), leading: leading,
		resolve: resolveIPs, log: logger.With().Str(events.LogComponent, "masterskv").Logger()}
}

// Run publishes changes every mastersPublishEvery until ctx ends. A write
// that fails is logged and retried on the next round.
func (m *MastersKV) Run(ctx context.Context) error {
	t := time.NewTicker(mastersPublishEvery)
	defer t.Stop()
	for round := 1; ; round++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !m.leading() || round%mastersVerifyRounds == 0 {
			m.mu.Lock()
			m.last = nil // a new term, or a verification round, compares with the bucket
			m.mu.Unlock()
		}
		if !m.leading() {
			continue
		}
		if _, err := m.publish(ctx, "", false); err != nil && ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("publish primaries to the KV bucket")
		}
	}
}

// SubmitMasters writes cluster's pairs (every cluster's when "") even when
// the bucket already holds them (api.MastersKV).
func (m *MastersKV) SubmitMasters(ctx context.Context, cluster string) ([]KVPair, error) {
	return m.publish(ctx, cluster, true)
}

// publish writes the pairs of the writable primaries (of cluster, or all):
// every pair when force, else only those of a primary that differs from
// the one last written. It returns the pairs it wrote.
func (m *MastersKV) publish(ctx context.Context, cluster string, force bool) ([]KVPair, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]string{}
	}
	v := m.views.View()
	var out []KVPair
	var errs []error
	for _, p := range primaries(v, m.views.Recoveries(), cluster) {
		key, value := m.prefix+KVKeyPart(p.alias), p.key.String()
		if !force && m.last[key] == value {
			continue
		}
		pairs := m.pairs(ctx, key, p.key)
		ok, changed := true, false
		for _, kvp := range pairs {
			wrote, err := m.store.Put(ctx, kvp.Key, kvp.Value, force)
			if err != nil {
				errs = append(errs, err)
				ok = false
				break
			}
			changed = changed || wrote
		}
		if !ok {
			continue
		}
		m.last[key] = value
		out = append(out, pairs...)
		if changed && !force { // a verification round that finds the bucket right logs nothing
			m.log.Info().Str(events.LogCluster, p.cluster).Str("kv_key", key).Str("kv_value", value).Msg("primary published to the KV bucket")
		}
	}
	return out, errors.Join(errs...)
}

// primary is one alias's primary as the bucket should name it.
type primary struct {
	alias, cluster string
	key            events.InstanceKey
}

// primaries are, for each cluster (of cluster, or all) with a writable
// master, its alias and master (orchestrator's GetMastersKVPairs); then,
// as orchestrator moves a failed cluster's alias to the promoted replica,
// the alias of the cluster each successful primary recovery replaced names
// that successor's current primary (followed through later recoveries):
// the dead primary, still its own cluster in the view, does not keep the
// key that proxies watch. Sorted by alias.
func primaries(v *projections.View, recs *analysis.Recoveries, cluster string) []primary {
	byAlias := map[string]primary{}
	for _, master := range v.Masters() {
		ci, ok := v.Cluster(master.ClusterName)
		if ok && ci.ClusterAlias != "" {
			byAlias[ci.ClusterAlias] = primary{alias: ci.ClusterAlias, cluster: ci.ClusterName, key: master.Key}
		}
	}
	done := recs.Recent("") // newest first
	next := map[events.InstanceKey]analysis.TopologyRecovery{}
	for i := len(done) - 1; i >= 0; i-- { // oldest first: a later recovery wins
		r := done[i]
		if !r.IsSuccessful || !replacedPrimary(r) {
			continue
		}
		next[r.AnalysisEntry.AnalyzedInstanceKey] = r
	}
	for i := len(done) - 1; i >= 0; i-- {
		r := done[i]
		alias := r.AnalysisEntry.ClusterDetails.ClusterAlias
		if next[r.AnalysisEntry.AnalyzedInstanceKey].UID != r.UID || alias == "" {
			continue
		}
		if p, ok := successorPrimary(v, next, r); ok {
			p.alias = alias
			byAlias[alias] = p
		}
	}
	out := make([]primary, 0, len(byAlias))
	for _, p := range byAlias {
		if cluster == "" || p.cluster == cluster {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b primary) int { return strings.Compare(a.alias, b.alias) })
	return out
}

// replacedPrimary reports whether r put a successor in a primary's place
// (a master recovery, a takeover, a forced failover), not an intermediate
// primary's.
func replacedPrimary(r analysis.TopologyRecovery) bool {
	return r.SuccessorKey != nil && !r.SuccessorKey.IsZero() && r.Type != events.RecoveryIntermediateMaster &&
		!strings.Contains(string(r.AnalysisEntry.Analysis), "IntermediateMaster")
}

// successorPrimary follows r's successor through the recoveries that
// replaced it after r ended (bounded by their count) to its cluster's
// writable master now.
func successorPrimary(v *projections.View, next map[events.InstanceKey]analysis.TopologyRecovery, r analysis.TopologyRecovery) (primary, bool) {
	k, ended := *r.SuccessorKey, r.EndedAt
	for range len(next) {
		n, ok := next[k]
		if !ok || n.StartedAt.Before(ended) {
			break
		}
		k, ended = *n.SuccessorKey, n.EndedAt
	}
	inst, ok := v.Instance(k)
	if !ok {
		return primary{}, false
	}
	m, ok := v.ClusterMaster(inst.ClusterName)
	if !ok || m.ReadOnly {
		return primary{}, false
	}
	return primary{cluster: inst.ClusterName, key: m.Key}, true
}

// pairs are orchestrator's GetClusterMasterKVPairs for one primary.
func (m *MastersKV) pairs(ctx context.Context, key string, k events.InstanceKey) []KVPair {
	ipv4, ipv6 := m.resolve(ctx, k.Hostname)
	return []KVPair{
		{Key: key, Value: k.String()},
		{Key: key + "/hostname", Value: k.Hostname},
		{Key: key + "/port", Value: strconv.Itoa(k.Port)},
		{Key: key + "/ipv4", Value: ipv4},
		{Key: key + "/ipv6", Value: ipv6},
	}
}

// KVKeyPart escapes an alias into NATS KV key characters: letters, digits,
// '-', '_', '/' and '.' (not first, last or doubled) stay; every other byte,
// '=' included, becomes =XX
// (hex), so the mapping is injective: "main" stays "main",
// "198.18.0.1:3306" becomes "198.18.0.1=3A3306".
func KVKeyPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '/',
			c == '.' && i > 0 && i < len(s)-1 && s[i-1] != '.': // no empty subject token
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// resolveIPs is orchestrator's hostname_ips: the first IPv4 and IPv6
// address of host (an address literal is its own), looked up with a
// bounded wait; "" for what does not resolve.
func resolveIPs(ctx context.Context, host string) (ipv4, ipv6 string) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
		if err != nil {
			return "", ""
		}
		addrs = ips
	}
	for _, a := range addrs {
		switch {
		case a.Unmap().Is4() && ipv4 == "":
			ipv4 = a.Unmap().String()
		case !a.Unmap().Is4() && ipv6 == "":
			ipv6 = a.String()
		}
	}
	return ipv4, ipv6
}
