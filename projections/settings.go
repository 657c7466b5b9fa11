package projections

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Settings are the plain values the projections need. cmd/ fills them from
// the configuration; this package never reads configuration itself.
type Settings struct {
	// PollInterval is InstancePollSeconds: the freshness unit of
	// IsUpToDate (1×), last-check validity (2×, stretched by ReportWindow
	// for a node that polls slower) and IsRecentlyChecked (5×).
	PollInterval time.Duration
	// FreshWindow is how long a node's latest report of an instance counts
	// as its current view (0: 2×PollInterval). A failed probe is reported
	// only after its timeout and failing instances are probed with backoff,
	// so cmd/ sets it to cover the probe timeout and that backoff.
	FreshWindow time.Duration
	// MaxFreshWindow caps how far a slow origin's achieved interval can
	// stretch the freshness of its reports (0: 15×PollInterval); see
	// ReportWindow. It never shrinks Window().
	MaxFreshWindow time.Duration
	// ReasonableReplicationLagSeconds bounds the replication_lag problem.
	ReasonableReplicationLagSeconds int64
	// ReasonableMaintenanceReplicationLagSeconds bounds the `lag` status in
	// the topology text.
	ReasonableMaintenanceReplicationLagSeconds int64
	// ClusterNameToAlias maps cluster names (exact, else as regular
	// expressions) to aliases.
	ClusterNameToAlias map[string]string
	// DataCenterPattern, RegionPattern and PhysicalEnvironmentPattern take
	// their first group from the hostname; nil means none.
	DataCenterPattern          *regexp.Regexp
	RegionPattern              *regexp.Regexp
	PhysicalEnvironmentPattern *regexp.Regexp
	// ProblemIgnoreHostnameFilters hide matching hosts from
	// View.ProblemInstances.
	ProblemIgnoreHostnameFilters []*regexp.Regexp
	// RemoveTextFromHostnameDisplay is carried for the web UI (orchestrator
	// applies it there only); the topology text does not use it.
	RemoveTextFromHostnameDisplay string
	// RecoverMasterClusterFilters and RecoverIntermediateMasterClusterFilters
	// give ClusterInfo.HasAutomated*Recovery, with orchestrator's filter
	// syntax: exact cluster name, exact alias, "alias=NAME", "alias~=REGEX",
	// "*", or a regular expression on the cluster name.
	RecoverMasterClusterFilters             []string
	RecoverIntermediateMasterClusterFilters []string
	// DefaultInstancePort is used when a hint names a host without a port.
	DefaultInstancePort int
	// Nodes is the number of Regent nodes (1 or 3); see Quorum.
	Nodes int
}

// Window is the freshness window of the vantage rule.
func (s Settings) Window() time.Duration {
	if s.FreshWindow > 0 {
		return s.FreshWindow
	}
	return 2 * s.PollInterval
}

// ReportWindow is how long a node's report counts as its current view:
//
//	max(Window(), min(2×gap, MaxFreshWindow))
//
// where gap is the time between the node's two latest reports of the
// instance (OriginReport.Gap). A node that keeps up with PollInterval has
// gap ≈ PollInterval and the window is Window(); an overloaded node that
// achieves only one report every 2.6 s keeps its latest report fresh for
// 5.2 s, so its vote still counts and detection slows down with it instead
// of stopping. The cap (default 15×PollInterval: 15 s at 1 s polling)
// bounds that: a node more than 7.5 polls behind is not evidence of the
// present, and the last reports of a node that stopped reporting (dead,
// partitioned from the log) stop counting within the cap.
//
// Why a longer window cannot make a failover out of stale data: the window
// only decides whether a node's *latest* report is counted; it never
// replaces a newer report by an older one. A DeadMaster conclusion needs a
// quorum of counted failed reports *and* every reachable replica agreeing
// that its source is gone (replica-side evidence with its own, equally
// bounded freshness). Stretching the window on a failed report adds a vote
// no older than twice the interval that node demonstrably achieves, and on
// an ok report adds a counted success, which can only keep LastCheckValid
// true and delay the conclusion. A node that stopped reporting drops out
// after the cap, exactly as with a fixed window, only later.
func (s Settings) ReportWindow(gap time.Duration) time.Duration {
	return max(s.Window(), s.achieved(gap))
}

// achieved is twice an achieved interval, capped by MaxFreshWindow.
func (s Settings) achieved(gap time.Duration) time.Duration {
	limit := s.MaxFreshWindow
	if limit <= 0 {
		limit = 15 * s.PollInterval
	}
	return min(2*gap, limit)
}

// ReportFresh reports whether r still counts at now (ReportWindow).
func (s Settings) ReportFresh(r *OriginReport, now time.Time) bool {
	return now.Sub(r.At) <= s.ReportWindow(r.Gap)
}

// DefaultSettings returns orchestrator's defaults with a 1 s poll interval
// and one node.
func DefaultSettings() Settings {
	return Settings{
		PollInterval:                               time.Second,
		ReasonableReplicationLagSeconds:            10,
		ReasonableMaintenanceReplicationLagSeconds: 20,
		DefaultInstancePort:                        3306,
		Nodes:                                      1,
	}
}

// Quorum is the number of Regent nodes that make a majority.
func (s Settings) Quorum() int {
	n := s.Nodes
	if n < 1 {
		n = 1
	}
	return n/2 + 1
}

// ErrInvalidSettings is wrapped by NewTopology's validation errors.
var ErrInvalidSettings = errors.New("invalid projection settings")

// compiled holds what NewTopology derives from Settings once; it is never
// mutated afterwards and is shared by clones and views.
type compiled struct {
	aliasPatterns []aliasPattern
	recoverMaster []clusterFilter
	recoverIM     []clusterFilter
}

type aliasPattern struct {
	rx    *regexp.Regexp
	alias string
}

type clusterFilter struct {
	exact   string         // exact cluster name or alias
	alias   string         // alias=NAME
	aliasRx *regexp.Regexp // alias~=REGEX
	nameRx  *regexp.Regexp // regex on cluster name
	any     bool           // "*"
}

func compileSettings(s Settings) (*compiled, error) {
	if s.PollInterval <= 0 {
		return nil, fmt.Errorf("%w: poll interval %v is not positive", ErrInvalidSettings, s.PollInterval)
	}
	c := &compiled{}
	keys := make([]string, 0, len(s.ClusterNameToAlias))
	for k := range s.ClusterNameToAlias {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" {
			continue
		}
		// A key that is not a valid expression still matches exactly.
		if rx, err := regexp.Compile(k); err == nil {
			c.aliasPatterns = append(c.aliasPatterns, aliasPattern{rx: rx, alias: s.ClusterNameToAlias[k]})
		}
	}
	var err error
	if c.recoverMaster, err = compileClusterFilters(s.RecoverMasterClusterFilters); err != nil {
		return nil, err
	}
	if c.recoverIM, err = compileClusterFilters(s.RecoverIntermediateMasterClusterFilters); err != nil {
		return nil, err
	}
	return c, nil
}

func compileClusterFilters(filters []string) ([]clusterFilter, error) {
	out := make([]clusterFilter, 0, len(filters))
	for _, f := range filters {
		cf := clusterFilter{exact: f}
		switch {
		case f == "*":
			cf.any = true
		case strings.HasPrefix(f, "alias="):
			cf.alias = strings.TrimPrefix(f, "alias=")
		case strings.HasPrefix(f, "alias~="):
			rx, err := regexp.Compile(strings.TrimPrefix(f, "alias~="))
			if err != nil {
				return nil, fmt.Errorf("%w: recovery cluster filter %q: %v", ErrInvalidSettings, f, err)
			}
			cf.aliasRx = rx
		default:
			rx, err := regexp.Compile(f)
			if err != nil {
				return nil, fmt.Errorf("%w: recovery cluster filter %q: %v", ErrInvalidSettings, f, err)
			}
			cf.nameRx = rx
		}
		out = append(out, cf)
	}
	return out, nil
}

func matchClusterFilters(filters []clusterFilter, name, alias string) bool {
	for _, f := range filters {
		switch {
		case f.any, f.exact == name, f.exact == alias:
			return true
		case f.alias != "" && f.alias == alias:
			return true
		case f.aliasRx != nil && f.aliasRx.MatchString(alias):
			return true
		case f.nameRx != nil && f.nameRx.MatchString(name):
			return true
		}
	}
	return false
}

// configuredAlias applies ClusterNameToAlias: exact key first, then the keys
// as regular expressions in sorted order.
func (s *Settings) configuredAlias(c *compiled, clusterName string) string {
	if a, ok := s.ClusterNameToAlias[clusterName]; ok && a != "" {
		return a
	}
	for _, p := range c.aliasPatterns {
		if p.alias != "" && p.rx.MatchString(clusterName) {
			return p.alias
		}
	}
	return ""
}

func patternGroup(rx *regexp.Regexp, host string) string {
	if rx == nil {
		return ""
	}
	m := rx.FindStringSubmatch(host)
	if len(m) < 2 {
		return ""
	}
	return m[1]
}
