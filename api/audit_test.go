package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

type fakeAudit struct {
	key  events.InstanceKey
	page int
	err  error
}

func (f *fakeAudit) Audit(_ context.Context, key events.InstanceKey, page int) ([]AuditEntry, error) {
	f.key, f.page = key, page
	if f.err != nil {
		return nil, f.err
	}
	return []AuditEntry{{AuditId: 7, AuditTimestamp: "2026-11-24 03:12:00", AuditType: "downtime-begun", AuditInstanceKey: key, Message: "m"}}, nil
}

func TestAuditRoutes(t *testing.T) {
	fa := &fakeAudit{}
	s := New(Options{}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterAudit(fa, foldReader{testFold(t)})
	for p, want := range map[string]struct {
		key  events.InstanceKey
		page int
	}{
		"/api/audit":                            {events.InstanceKey{}, 0},
		"/api/audit/3":                          {events.InstanceKey{}, 3},
		"/api/audit/instance/198.18.0.2/3306":   {k("198.18.0.2"), 0},
		"/api/audit/instance/198.18.0.2/3306/1": {k("198.18.0.2"), 1},
	} {
		w, body := get(t, s, p, nil)
		list, ok := body.([]any)
		if w.Code != 200 || !ok || len(list) != 1 || fa.key != want.key || fa.page != want.page {
			t.Errorf("%s: %d %v; read %+v page %d", p, w.Code, body, fa.key, fa.page)
			continue
		}
		e := list[0].(map[string]any)
		for _, f := range []string{"AuditId", "AuditTimestamp", "AuditType", "AuditInstanceKey", "Message"} {
			if _, ok := e[f]; !ok {
				t.Errorf("%s: entry lacks %s: %v", p, f, e)
			}
		}
	}
	for _, p := range []string{"/api/audit/-1", "/api/audit/x", "/api/audit/instance/198.18.0.2/3306/y"} {
		if w, body := get(t, s, p, nil); w.Code != 400 || body.(map[string]any)["Details"].(map[string]any)["Parameter"] != "page" {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	fa.err = errors.New("read the audit from the event log: timeout")
	if w, body := get(t, s, "/api/audit", nil); w.Code != 500 || body.(map[string]any)["Message"] != fa.err.Error() {
		t.Errorf("failed read: %d %v", w.Code, body)
	}
}

func TestReplicationAnalysisChangelog(t *testing.T) {
	r := analysis.NewRecoveries()
	evs := []struct {
		kind events.Kind
		p    any
	}{
		{events.KindFailureDetected, events.FailureDetected{DetectionID: "d1", Analysis: "DeadMaster", Failed: k("198.18.0.1"), ClusterName: "c"}},
		{events.KindFailureDetected, events.FailureDetected{DetectionID: "d2", Analysis: "UnreachableMaster", Failed: k("198.18.0.9"), ClusterName: "c9"}},
		{events.KindFailureCleared, events.FailureCleared{DetectionID: "d1", Failed: k("198.18.0.1"), ClusterName: "c"}},
		{events.KindFailureDetected, events.FailureDetected{DetectionID: "d3", Analysis: "DeadIntermediateMaster", Failed: k("198.18.0.1"), ClusterName: "c"}},
	}
	for i, e := range evs {
		env, err := events.New(e.kind, now.Add(time.Duration(i)*time.Second), "n1", e.p)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	s := New(Options{}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterAudit(&fakeAudit{}, foldReader{analysis.NewRecoveries()})
	// No detection yet: orchestrator answers null (seen with scripts/orch-compare).
	if w := serve(s, http.MethodGet, "/api/replication-analysis-changelog", nil); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "null" {
		t.Errorf("empty changelog: %d %q, want 200 null", w.Code, w.Body.String())
	}
	s = New(Options{}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterAudit(&fakeAudit{}, foldReader{r})
	_, body := get(t, s, "/api/replication-analysis-changelog", nil)
	want := []any{
		map[string]any{"AnalyzedInstanceKey": map[string]any{"Hostname": "198.18.0.1", "Port": 3306.0},
			"Changelog": []any{"2026-11-24 03:12:00;DeadMaster,", "2026-11-24 03:12:02;NoProblem,", "2026-11-24 03:12:03;DeadIntermediateMaster,"}},
		map[string]any{"AnalyzedInstanceKey": map[string]any{"Hostname": "198.18.0.9", "Port": 3306.0},
			"Changelog": []any{"2026-11-24 03:12:01;UnreachableMaster,"}},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("changelog:\n%v\nwant\n%v", body, want)
	}
}
