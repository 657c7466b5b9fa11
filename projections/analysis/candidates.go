package analysis

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
	"github.com/regent-ha/regent/projections"
)

// ErrNoCandidate is wrapped when no replica may be promoted or no target
// can adopt an intermediate master's replicas.
var ErrNoCandidate = errors.New("no acceptable candidate")

// cand is a replica being considered, with its parsed positions.
type cand struct {
	inst    *projections.Instance
	reasons []string // rejection reasons
	maria   gtid.List
	mariaOK bool
	mysql   gtid.Set
	mysqlOK bool
}

func newCand(i *projections.Instance) *cand {
	c := &cand{inst: i}
	if i.IsMariaDB() {
		if l, err := gtid.ParseList(receivedMariaDBPos(i)); err == nil && len(l) > 0 {
			c.maria, c.mariaOK = l, true
		}
	}
	if i.ExecutedGtidSet != "" {
		exec, err1 := gtid.ParseSet(i.ExecutedGtidSet)
		ret, err2 := gtid.ParseSet(i.RetrievedGtidSet)
		if err1 == nil && err2 == nil {
			c.mysql, c.mysqlOK = exec.Union(ret), true
		}
	}
	return c
}

func (c *cand) position() string {
	switch {
	case c.mariaOK:
		return c.maria.String()
	case c.mysqlOK:
		return c.mysql.String()
	}
	rc := c.inst.ReadBinlogCoordinates
	return rc.LogFile + ":" + strconv.FormatInt(rc.LogPos, 10)
}

// ChooseCandidate picks the replica of the failed primary to promote. Every
// replica is listed in all with the reason it was chosen or rejected. The
// rejections (unreachable, in maintenance, must_not,
// PromotionIgnoreHostnameFilters, no log_bin while live siblings need it,
// errant GTIDs, lag over FailMasterPromotionOnLagMinutes, another data
// center or region when that is prevented, and the compatibility rules of
// compatReasons) are all checked here, before anything moves. The others
// are ranked (package documentation); err wraps ErrNoCandidate and names
// every rejection when none is acceptable.
func ChooseCandidate(v *projections.View, failed events.InstanceKey, p Params) (chosen events.InstanceKey, all []events.Candidate, err error) {
	replicas := v.Replicas(failed)
	if len(replicas) == 0 {
		return events.InstanceKey{}, nil, fmt.Errorf("choose candidate for %s: %w: it has no replicas", failed, ErrNoCandidate)
	}
	dead, _ := v.Instance(failed)
	cands := make([]*cand, 0, len(replicas))
	compat := make([][]string, 0, len(replicas))
	anyCompatible := false
	for _, r := range replicas {
		c := newCand(r)
		live := liveSiblings(replicas, r)
		c.reasons = rejectReasons(r, dead, len(live), &p)
		cands = append(cands, c)
		compat = append(compat, compatReasons(r, live, &p))
		anyCompatible = anyCompatible || (len(c.reasons) == 0 && len(compat[len(compat)-1]) == 0)
	}
	// Compatibility is a hard filter whenever some acceptable candidate
	// passes it; when none does, it rejects nobody (the siblings that
	// cannot replicate from the one promoted are lost, as orchestrator's
	// fallback), so it alone never prevents a recovery.
	var ok []*cand
	for i, c := range cands {
		if anyCompatible {
			c.reasons = append(c.reasons, compat[i]...)
		}
		if len(c.reasons) == 0 {
			ok = append(ok, c)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return compareCands(ok[i], ok[j], dead) < 0 })
	all = make([]events.Candidate, 0, len(cands))
	var rejected []string
	for _, c := range cands {
		ec := events.Candidate{Key: c.inst.Key, GTIDPos: c.position(), Rule: c.inst.PromotionRule}
		switch {
		case len(c.reasons) > 0:
			ec.Reason = "rejected: " + strings.Join(c.reasons, "; ")
			rejected = append(rejected, c.inst.Key.String()+": "+strings.Join(c.reasons, "; "))
		case c == ok[0]:
			ec.Chosen, ec.Reason = true, chosenReason(c, dead, len(ok))
		default:
			_, why := rank(ok[0], c, dead)
			ec.Reason = "not chosen: " + why + " than " + ok[0].inst.Key.String()
		}
		all = append(all, ec)
	}
	if len(ok) == 0 {
		return events.InstanceKey{}, all, fmt.Errorf("choose candidate for %s: %w: %s", failed, ErrNoCandidate, strings.Join(rejected, ", "))
	}
	return ok[0].inst.Key, all, nil
}

// liveSiblings are the replicas other than r that the Regent nodes reach:
// those that must re-point under r if it is promoted. A dead sibling
// constrains nothing.
func liveSiblings(replicas []*projections.Instance, r *projections.Instance) []*projections.Instance {
	var out []*projections.Instance
	for _, s := range replicas {
		if s.Key != r.Key && s.IsLastCheckValid {
			out = append(out, s)
		}
	}
	return out
}

// compatReasons says why the live siblings could not all replicate from r
// (orchestrator's CanReplicateFrom): r must log what it replicated
// (log_slave_updates) for them to catch up from it, its major version must
// not be newer than theirs, and a sibling that logs its updates cannot log
// in a smaller binlog format than r's (ROW events cannot be written as
// STATEMENT). With VerifyReplicationFilters, r must have no replication
// filters unless every live sibling has some too (a sibling without filters
// would miss what r's filters dropped).
func compatReasons(r *projections.Instance, live []*projections.Instance, p *Params) []string {
	if len(live) == 0 {
		return nil
	}
	var out, newer, format, unfiltered []string
	if r.LogBinEnabled && !r.LogSlaveUpdatesEnabled {
		out = append(out, fmt.Sprintf("log_slave_updates is off and %d live replicas would replicate from it", len(live)))
	}
	rv, rf := majorVersion(r.Version), formatRank(r.BinlogFormat)
	for _, s := range live {
		if sv := majorVersion(s.Version); rv != "" && sv != "" && compareVersions(rv, sv) > 0 {
			newer = append(newer, s.Key.String()+" ("+sv+")")
		}
		if sf := formatRank(s.BinlogFormat); s.LogBinEnabled && s.LogSlaveUpdatesEnabled && rf < 3 && sf < rf {
			format = append(format, s.Key.String()+" ("+strings.ToUpper(s.BinlogFormat)+")")
		}
		if p.VerifyReplicationFilters && r.HasReplicationFilters && !s.HasReplicationFilters {
			unfiltered = append(unfiltered, s.Key.String())
		}
	}
	if len(unfiltered) > 0 {
		out = append(out, "has replication filters and live replicas without filters would replicate from it: "+
			strings.Join(unfiltered, ", ")+" (VerifyReplicationFilters)")
	}
	if len(newer) > 0 {
		out = append(out, "major version "+rv+" is newer than live replicas' "+strings.Join(newer, ", "))
	}
	if len(format) > 0 {
		out = append(out, "binlog format "+strings.ToUpper(r.BinlogFormat)+" is larger than what live replicas log: "+strings.Join(format, ", "))
	}
	return out
}

// rejectReasons are r's own disqualifications; live is how many live
// siblings would replicate from it.
func rejectReasons(r, dead *projections.Instance, live int, p *Params) []string {
	var out []string
	add := func(cond bool, why string) {
		if cond {
			out = append(out, why)
		}
	}
	add(!r.IsLastCheckValid, "unreachable")
	add(r.IsInMaintenance, MaintenanceReason(r))
	add(r.PromotionRule == projections.PromotionMustNot, "promotion rule must_not")
	add(matchAny(p.PromotionIgnoreHostnameFilters, r.Key.Hostname), "matches PromotionIgnoreHostnameFilters")
	add(!r.LogBinEnabled && live > 0, fmt.Sprintf("log_bin is off and %d live replicas would replicate from it", live))
	add(r.GtidErrant != "", "errant GTIDs "+r.GtidErrant)
	if lim := p.FailMasterPromotionOnLagMinutes; lim > 0 && r.ReplicationLagSeconds.Valid && r.ReplicationLagSeconds.Int64 > lim*60 {
		out = append(out, fmt.Sprintf("lag %ds over FailMasterPromotionOnLagMinutes %d", r.ReplicationLagSeconds.Int64, lim))
	}
	if dead != nil {
		add(p.PreventCrossDataCenterMasterFailover && r.DataCenter != dead.DataCenter,
			fmt.Sprintf("data center %q differs from the failed primary's %q (PreventCrossDataCenterMasterFailover)", r.DataCenter, dead.DataCenter))
		add(p.PreventCrossRegionMasterFailover && r.Region != dead.Region,
			fmt.Sprintf("region %q differs from the failed primary's %q (PreventCrossRegionMasterFailover)", r.Region, dead.Region))
	}
	return out
}

// compareCands orders a before b (<0) when a is the better candidate.
func compareCands(a, b *cand, dead *projections.Instance) int {
	c, _ := rank(a, b, dead)
	return c
}

// rank compares a and b criterion by criterion; it returns the first
// decisive comparison (<0: a better) and that criterion, said of the worse
// one ("behind in position").
func rank(a, b *cand, dead *projections.Instance) (int, string) {
	ai, bi := a.inst, b.inst
	if c := -comparePosition(a, b); c != 0 {
		return c, "behind in received position"
	}
	if c := ruleRank(ai.PromotionRule) - ruleRank(bi.PromotionRule); c != 0 {
		return c, "worse promotion rule"
	}
	if dead != nil && dead.DataCenter != "" {
		if c := b2i(bi.DataCenter == dead.DataCenter) - b2i(ai.DataCenter == dead.DataCenter); c != 0 {
			return c, "not in the failed primary's data center"
		}
	}
	if c := b2i(bi.LogSlaveUpdatesEnabled) - b2i(ai.LogSlaveUpdatesEnabled); c != 0 {
		return c, "log_slave_updates off"
	}
	if c := compareVersions(ai.Version, bi.Version); c != 0 {
		return c, "newer version"
	}
	if c := formatRank(ai.BinlogFormat) - formatRank(bi.BinlogFormat); c != 0 {
		return c, "larger binlog format"
	}
	if ai.Key.Hostname != bi.Key.Hostname {
		return strings.Compare(ai.Key.Hostname, bi.Key.Hostname), "later hostname"
	}
	return ai.Key.Port - bi.Key.Port, "later port"
}

// comparePosition: 1 when a has received more than b, -1 less, 0 equal or
// not comparable. MariaDB GTID positions compare per domain, MySQL GTID
// sets by containment, otherwise read then exec coordinates.
func comparePosition(a, b *cand) int {
	if a.mariaOK && b.mariaOK {
		if c := compareMariaDB(a.maria, b.maria); c != 0 {
			return c
		}
	} else if a.mysqlOK && b.mysqlOK {
		ab, ba := a.mysql.Contains(b.mysql), b.mysql.Contains(a.mysql)
		switch {
		case ab && !ba:
			return 1
		case ba && !ab:
			return -1
		}
	}
	if c := compareCoords(a.inst.ReadBinlogCoordinates, b.inst.ReadBinlogCoordinates); c != 0 {
		return c
	}
	return compareCoords(a.inst.ExecBinlogCoordinates, b.inst.ExecBinlogCoordinates)
}

func compareMariaDB(a, b gtid.List) int {
	ahead, behind := false, false
	seen := map[uint32]bool{}
	for _, l := range []gtid.List{a, b} {
		for _, d := range l.Domains() {
			if seen[d] {
				continue
			}
			seen[d] = true
			switch gtid.CompareDomain(a, b, d) {
			case 1:
				ahead = true
			case -1:
				behind = true
			}
		}
	}
	switch {
	case ahead && !behind:
		return 1
	case behind && !ahead:
		return -1
	}
	return 0
}

func compareCoords(a, b projections.BinlogCoordinates) int {
	if a.LogFile != b.LogFile {
		return strings.Compare(a.LogFile, b.LogFile)
	}
	switch {
	case a.LogPos > b.LogPos:
		return 1
	case a.LogPos < b.LogPos:
		return -1
	}
	return 0
}

func ruleRank(rule string) int {
	switch rule {
	case projections.PromotionMust, projections.PromotionPrefer:
		return 0
	case projections.PromotionPreferNot:
		return 2
	case projections.PromotionMustNot:
		return 3
	}
	return 1
}

func formatRank(f string) int {
	switch strings.ToUpper(f) {
	case "STATEMENT":
		return 0
	case "MIXED":
		return 1
	case "ROW":
		return 2
	}
	return 3
}

// compareVersions compares dotted versions numerically ("10.6.4" <
// "10.11.2"); trailing text ("-MariaDB-log") is ignored.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func versionParts(v string) []int {
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	var out []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}

func chosenReason(c *cand, dead *projections.Instance, accepted int) string {
	parts := []string{"most advanced received position " + c.position()}
	parts = append(parts, "promotion rule "+c.inst.PromotionRule)
	if dead != nil && dead.DataCenter != "" && c.inst.DataCenter == dead.DataCenter {
		parts = append(parts, "same data center "+dead.DataCenter)
	}
	parts = append(parts, fmt.Sprintf("best of %d acceptable", accepted))
	return "chosen: " + strings.Join(parts, "; ")
}

// ChooseIntermediateTarget picks where the replicas of a dead intermediate
// master move: a sibling (a replica of the same source that logs its
// updates, replicates, is reachable and not banned; same data center and
// registered candidates first), else the grandparent (orchestrator's plans
// A, C and D). all lists every sibling and the grandparent with the reason
// it was chosen or rejected.
func ChooseIntermediateTarget(v *projections.View, failed events.InstanceKey, p Params) (target events.InstanceKey, all []events.Candidate, err error) {
	dead, ok := v.Instance(failed)
	if !ok {
		return events.InstanceKey{}, nil, fmt.Errorf("choose target for %s: %w: instance unknown", failed, ErrNoCandidate)
	}
	var fit []*projections.Instance
	rejected := map[events.InstanceKey]string{}
	siblings := v.Replicas(dead.MasterKey)
	for _, s := range siblings {
		if s.Key == failed {
			continue
		}
		if reasons := siblingRejections(s, dead, &p); len(reasons) > 0 {
			rejected[s.Key] = "rejected sibling: " + strings.Join(reasons, "; ")
			continue
		}
		fit = append(fit, s)
	}
	sort.SliceStable(fit, func(i, j int) bool { return siblingLess(fit[i], fit[j], dead) })
	if len(fit) > 0 {
		target = fit[0].Key
	}
	for _, s := range siblings {
		if s.Key == failed {
			continue
		}
		ec := events.Candidate{Key: s.Key, Rule: s.PromotionRule, Chosen: s.Key == target, Reason: rejected[s.Key]}
		switch {
		case ec.Chosen && s.DataCenter == dead.DataCenter:
			ec.Reason = "chosen: sibling in the same data center"
		case ec.Chosen:
			ec.Reason = "chosen: sibling (none fits in the same data center)"
		case ec.Reason == "":
			ec.Reason = "not chosen: sibling ranked after " + target.String()
		}
		all = append(all, ec)
	}
	if dead.MasterKey.IsZero() {
		return events.InstanceKey{}, all, fmt.Errorf("choose target for %s: %w: it has no source", failed, ErrNoCandidate)
	}
	gp, gpOK := v.Instance(dead.MasterKey)
	gpc := events.Candidate{Key: dead.MasterKey, Reason: "not needed: a sibling adopts the replicas"}
	switch {
	case !gpOK:
		gpc.Reason = "rejected grandparent: unknown"
	case !gp.IsLastCheckValid:
		gpc.Reason = "rejected grandparent: unreachable"
	case target.IsZero():
		target, gpc.Chosen, gpc.Reason = gp.Key, true, "chosen: grandparent (no sibling fits)"
	}
	all = append(all, gpc)
	if target.IsZero() {
		return events.InstanceKey{}, all, fmt.Errorf("choose target for %s: %w: no sibling fits and the grandparent is not reachable", failed, ErrNoCandidate)
	}
	return target, all, nil
}

func siblingRejections(s, dead *projections.Instance, p *Params) []string {
	var out []string
	add := func(cond bool, why string) {
		if cond {
			out = append(out, why)
		}
	}
	add(!s.IsLastCheckValid, "unreachable")
	add(!s.LogBinEnabled || !s.LogSlaveUpdatesEnabled, "does not log replicated updates")
	add(!s.ReplicaRunning(), "not replicating")
	add(s.IsDowntimed, "downtimed")
	add(s.IsInMaintenance, "in maintenance")
	add(s.PromotionRule == projections.PromotionMustNot, "promotion rule must_not")
	add(matchAny(p.PromotionIgnoreHostnameFilters, s.Key.Hostname), "matches PromotionIgnoreHostnameFilters")
	add(s.HasReplicationFilters != dead.HasReplicationFilters, "replication filters differ")
	return out
}

func siblingLess(a, b, dead *projections.Instance) bool {
	if x, y := a.DataCenter == dead.DataCenter, b.DataCenter == dead.DataCenter; x != y {
		return x
	}
	if a.IsCandidate != b.IsCandidate {
		return a.IsCandidate
	}
	if a.Key.Hostname != b.Key.Hostname {
		return a.Key.Hostname < b.Key.Hostname
	}
	return a.Key.Port < b.Key.Port
}
