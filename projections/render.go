package projections

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/events"
)

// RenderTopology renders a cluster as orchestrator's `topology` text
// (tabulated=false) or `topology-tabulated` (tabulated=true): a tree by
// MasterKey with children in hostname, port order, one line per instance,
// lines joined by "\n" without a trailing newline. clusterName must be an
// exact cluster name (see View.ResolveCluster).
//
// The tokens are orchestrator's descriptionTokens, token for token: GTID
// when the instance itself replicates with MySQL or MariaDB GTID
// (Using_Gtid not No) or has gtid_mode not OFF, so a MariaDB primary, which
// has no replication status of its own, shows none; semi:master and
// semi:replica from the semi-sync status variables being ON.
func RenderTopology(v *View, clusterName string, tabulated bool) (string, error) {
	return renderTopology(v, clusterName, tabulated, false)
}

// renderTopology is RenderTopology, with each entry's tags after it when
// tags (topology-tags).
func renderTopology(v *View, clusterName string, tabulated, tags bool) (string, error) {
	entries, err := TopologyTree(v, clusterName)
	if err != nil {
		return "", err
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.line(tabulated)
		if tags {
			lines[i] += " [" + strings.Join(v.tagDisplay(e.Key), ",") + "]"
		}
	}
	if tabulated {
		return strings.Join(tabulate(lines, 1), "\n"), nil
	}
	return strings.Join(alignBrackets(lines), "\n"), nil
}

// TreeEntry is one line of RenderTopology, as data: the web interface
// draws the same tree with the same tokens.
type TreeEntry struct {
	Depth int                // 0 for a root; its replicas 1, theirs 2, …
	Key   events.InstanceKey // the instance
	Alias string             // InstanceAlias ("" when none)
	// Replicating is the "+" of the text (replication running on a
	// recently and validly checked instance); false is "-". Roots have
	// neither.
	Replicating bool
	// Tokens are lag, status, version, ro/rw, binlog format and the
	// comma-joined extras (">>", "GTID" or "GTID:errant", "P-GTID",
	// "semi:master", "semi:replica", "downtimed"); extras may be "".
	Tokens []string
}

// line is e as a line of the text (tabulated: columns separated by "|").
func (e TreeEntry) line(tabulated bool) string {
	var b strings.Builder
	if e.Depth > 0 {
		b.WriteString(strings.Repeat(" ", (e.Depth-1)*2))
		if e.Replicating {
			b.WriteString("+ ")
		} else {
			b.WriteString("- ")
		}
	}
	b.WriteString(e.Key.String())
	if e.Alias != "" {
		b.WriteString(" (" + e.Alias + ")")
	}
	if tabulated {
		b.WriteString("|" + strings.Join(e.Tokens, "|"))
		return b.String()
	}
	nonEmpty := e.Tokens[:0:0]
	for _, t := range e.Tokens {
		if t != "" {
			nonEmpty = append(nonEmpty, t)
		}
	}
	b.WriteString(" [" + strings.Join(nonEmpty, ",") + "]")
	return b.String()
}

// TopologyTree is the tree RenderTopology prints, in its order: by
// MasterKey with children in hostname, port order. clusterName must be an
// exact cluster name (see View.ResolveCluster).
func TopologyTree(v *View, clusterName string) ([]TreeEntry, error) {
	members := v.ClusterInstances(clusterName)
	if len(members) == 0 {
		return nil, fmt.Errorf("render topology %q: %w", clusterName, ErrUnknownCluster)
	}
	in := make(map[*Instance]bool, len(members))
	for _, m := range members {
		in[m] = true
	}
	r := renderer{v: v, seen: make(map[*Instance]bool, len(members))}
	var roots []*Instance
	for _, m := range members {
		if master, ok := v.Instance(m.MasterKey); !ok || !in[master] {
			roots = append(roots, m)
		}
	}
	if len(roots) > 0 {
		for _, root := range roots {
			r.entry(0, root)
		}
	} else {
		for _, m := range members {
			if m.IsCoMaster {
				r.entry(1, m)
			}
		}
	}
	return r.entries, nil
}

type renderer struct {
	v       *View
	seen    map[*Instance]bool
	entries []TreeEntry
}

func (r *renderer) entry(depth int, inst *Instance) {
	if r.seen[inst] || (inst.IsCoMaster && depth > 1) {
		return
	}
	r.seen[inst] = true
	r.entries = append(r.entries, TreeEntry{Depth: depth, Key: inst.Key, Alias: inst.InstanceAlias,
		Replicating: inst.ReplicaRunning() && inst.IsLastCheckValid && inst.IsRecentlyChecked, Tokens: r.tokens(inst)})
	for _, replica := range r.v.Replicas(inst.Key) {
		r.entry(depth+1, replica)
	}
}

// tokens are orchestrator's description tokens: lag, status, version,
// ro/rw, binlog format, extras.
func (r *renderer) tokens(inst *Instance) []string {
	s := r.v.s
	format := "nobinlog"
	if inst.LogBinEnabled {
		format = inst.BinlogFormat
	}
	ro := "rw"
	if inst.ReadOnly {
		ro = "ro"
	}
	var extras []string
	if inst.LogBinEnabled && inst.LogReplicationUpdatesEnabled {
		extras = append(extras, ">>")
	}
	if inst.UsingGTID() || inst.SupportsOracleGTID {
		if inst.GtidErrant != "" {
			extras = append(extras, "GTID:errant")
		} else {
			extras = append(extras, "GTID")
		}
	}
	if inst.UsingPseudoGTID {
		extras = append(extras, "P-GTID")
	}
	if inst.SemiSyncMasterStatus {
		extras = append(extras, "semi:master")
	}
	if inst.SemiSyncReplicaStatus {
		extras = append(extras, "semi:replica")
	}
	if inst.IsDowntimed {
		extras = append(extras, "downtimed")
	}
	return []string{lagToken(inst), statusToken(inst, s.ReasonableMaintenanceReplicationLagSeconds),
		inst.Version, ro, format, strings.Join(extras, ",")}
}

func lagToken(inst *Instance) string {
	switch {
	case inst.IsDetached:
		return "detached"
	case !inst.IsLastCheckValid, !inst.IsRecentlyChecked:
		return "unknown"
	case inst.IsReplica() && !inst.ReplicaRunning():
		return "null"
	case inst.IsReplica() && !inst.SecondsBehindMaster.Valid:
		return "null"
	}
	return strconv.FormatInt(inst.ReplicationLagSeconds.Int64, 10) + "s"
}

func statusToken(inst *Instance, maintenanceLag int64) string {
	switch {
	case !inst.IsLastCheckValid:
		return "invalid"
	case !inst.IsRecentlyChecked:
		return "unchecked"
	case inst.IsReplica() && !inst.ReplicaRunning():
		return "nonreplicating"
	case inst.IsReplica() && !inst.HasReasonableMaintenanceReplicationLag(maintenanceLag):
		return "lag"
	}
	return "ok"
}

// alignBrackets pads each line before its first '[' so that all '[' line up.
func alignBrackets(lines []string) []string {
	col := 0
	for _, l := range lines {
		col = max(col, strings.IndexByte(l, '['))
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		at := strings.IndexByte(l, '[')
		if at < 0 || at >= col {
			out[i] = l
			continue
		}
		out[i] = l[:at] + strings.Repeat(" ", col-at) + l[at:]
	}
	return out
}

// tabulate splits lines on '|', pads every column to its widest cell (the
// columns listed in right right-aligned, the others left-aligned) and joins
// them again with '|'.
func tabulate(lines []string, right ...int) []string {
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(l, "|")
		for c, cell := range rows[i] {
			if c == len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], len(cell))
		}
	}
	out := make([]string, len(lines))
	for i, row := range rows {
		cells := make([]string, len(widths))
		for c := range widths {
			cell := ""
			if c < len(row) {
				cell = row[c]
			}
			pad := strings.Repeat(" ", widths[c]-len(cell))
			if isIn(c, right) {
				cells[c] = pad + cell
			} else {
				cells[c] = cell + pad
			}
		}
		out[i] = strings.Join(cells, "|")
	}
	return out
}

func isIn(n int, set []int) bool {
	for _, x := range set {
		if x == n {
			return true
		}
	}
	return false
}
