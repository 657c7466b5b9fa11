package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// AuditEntry is orchestrator's audit row, read from an event of the log.
type AuditEntry struct {
	AuditId          uint64 // the event's sequence in the event stream
	AuditTimestamp   string // the event's time, "2006-01-02 15:04:05" UTC
	AuditType        string // the event's kind
	AuditInstanceKey events.InstanceKey
	Message          string // the event in one line (as regent replay prints it)
}

// AuditReader pages the event log, newest first: page n (0-based) of
// AuditPageSize entries, of every event or only those of key (when not
// zero).
type AuditReader interface {
	Audit(ctx context.Context, key events.InstanceKey, page int) ([]AuditEntry, error)
}

// ChangelogEntry is orchestrator's replication-analysis-changelog entry:
// an instance and its analyses over time, "<timestamp>;<analysis>,".
type ChangelogEntry struct {
	AnalyzedInstanceKey events.InstanceKey
	Changelog           []string
}

// RegisterAudit adds the general audit (audit[/{page}],
// audit/instance/{host}/{port}[/{page}]) and replication-analysis-changelog.
// recs may be nil when the changelog is not served (preflight).
func (s *Server) RegisterAudit(a AuditReader, recs RecoveryReader) {
	h := &auditAPI{a: a, recs: recs}
	for _, p := range []string{"/api/audit", "/api/audit/{page}", "/api/audit/instance/{host}/{port}", "/api/audit/instance/{host}/{port}/{page}"} {
		s.Handle("GET "+p, h.audit)
	}
	s.Handle("GET /api/replication-analysis-changelog", h.changelog)
}

type auditAPI struct {
	a    AuditReader
	recs RecoveryReader
}

func (h *auditAPI) audit(w http.ResponseWriter, req *http.Request) {
	n, err := page(req)
	if err != nil {
		respondBadParameter(w, "page", err)
		return
	}
	var k events.InstanceKey
	if req.PathValue("host") != "" {
		if k, err = pathKey(req, ""); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	list, err := h.a.Audit(req.Context(), k, n)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, nonNil(list))
}

// changelog groups the folded failure detections by instance (sorted by
// key), oldest first: each detection is "<detected>;<analysis>,", and its
// clearing "<cleared>;NoProblem,". With none it answers null, as
// orchestrator does (its list starts nil).
func (h *auditAPI) changelog(w http.ResponseWriter, _ *http.Request) {
	list := Changelog(h.recs.Recoveries().Detections(""))
	if len(list) == 0 {
		respondBare(w, nil)
		return
	}
	respondBare(w, list)
}

// Changelog builds the replication-analysis-changelog from detections
// given newest first.
func Changelog(dets []analysis.FailureDetection) []ChangelogEntry {
	out := []ChangelogEntry{}
	idx := map[events.InstanceKey]int{}
	for i := len(dets) - 1; i >= 0; i-- {
		d := dets[i]
		k := d.AnalysisEntry.AnalyzedInstanceKey
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, ChangelogEntry{AnalyzedInstanceKey: k, Changelog: []string{}})
		}
		out[j].Changelog = append(out[j].Changelog, stamp(d.DetectedAt)+";"+string(d.AnalysisEntry.Analysis)+",")
		if d.Cleared {
			out[j].Changelog = append(out[j].Changelog, stamp(d.ClearedTime)+";NoProblem,")
		}
	}
	sortEntries(out)
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(projections.TimestampLayout) }

func sortEntries(list []ChangelogEntry) {
	slices.SortStableFunc(list, func(a, b ChangelogEntry) int {
		return cmp.Or(cmp.Compare(a.AnalyzedInstanceKey.Hostname, b.AnalyzedInstanceKey.Hostname),
			cmp.Compare(a.AnalyzedInstanceKey.Port, b.AnalyzedInstanceKey.Port))
	})
}
