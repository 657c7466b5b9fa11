package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

type fakeMastersKV struct {
	calls []string
	err   error
}

func (f *fakeMastersKV) SubmitMasters(_ context.Context, cluster string) ([]KVPair, error) {
	f.calls = append(f.calls, cluster)
	if f.err != nil {
		return nil, f.err
	}
	return []KVPair{{Key: "mysql/master/lab", Value: "198.18.0.1:3306"}, {Key: "mysql/master/lab/hostname", Value: "198.18.0.1"},
		{Key: "mysql/master/lab/port", Value: "3306"}, {Key: "mysql/master/lab/ipv4", Value: "198.18.0.1"}, {Key: "mysql/master/lab/ipv6", Value: ""}}, nil
}

// submit-masters-to-kv-stores answers orchestrator's envelope: "Submitted
// N masters" (N pairs) with the pairs as Details; the hint is resolved
// first (unknown: orchestrator's error, nothing written); it is a write
// (leader only, authorized users only).
func TestSubmitMastersToKVStores(t *testing.T) {
	kv := &fakeMastersKV{}
	s := newTestServer(&fakeCluster{l: Leadership{Known: true, IsLeader: true}}, Options{})
	s.RegisterKV(staticViews{testView(t)}, kv)
	for path, want := range map[string]string{
		"/api/submit-masters-to-kv-stores":                    "",
		"/api/submit-masters-to-kv-stores/":                   "",
		"/api/submit-masters-to-kv-stores/lab":                "198.18.0.1:3306",
		"/api/submit-masters-to-kv-stores/198.18.0.2:3306":    "198.18.0.1:3306",
		"/api/submit-masters-to-kv-stores/nosuch":             "-",
		"/api/submit-masters-to-kv-stores/198.18.0.99%3A3306": "-",
	} {
		kv.calls = nil
		w, body := get(t, s, path, nil)
		m, _ := body.(map[string]any)
		if want == "-" {
			if w.Code != 500 || m["Code"] != "ERROR" || len(kv.calls) != 0 {
				t.Errorf("%s: %d %v after %v, want an ERROR and nothing submitted", path, w.Code, body, kv.calls)
			}
			continue
		}
		d, _ := m["Details"].([]any)
		first, _ := d[0].(map[string]any)
		if w.Code != 200 || m["Message"] != "Submitted 5 masters" || len(d) != 5 || first["Key"] != "mysql/master/lab" ||
			first["Value"] != "198.18.0.1:3306" || len(kv.calls) != 1 || kv.calls[0] != want {
			t.Errorf("%s: %d %v, calls %q, want 200 Submitted 5 masters for %q", path, w.Code, body, kv.calls, want)
		}
	}
	kv.err = errors.New("write REGENT_MASTERS key mysql/master/lab: timeout")
	if w, body := get(t, s, "/api/submit-masters-to-kv-stores/lab", nil); w.Code != 500 || body.(map[string]any)["Message"] != kv.err.Error() {
		t.Errorf("failed write: %d %v", w.Code, body)
	}
	ro := newTestServer(&fakeCluster{l: Leadership{Known: true, IsLeader: true}}, Options{Auth: AuthOptions{Method: "multi", User: "admin", Password: "pw"}})
	ro.RegisterKV(staticViews{testView(t)}, kv)
	kv.calls, kv.err = nil, nil
	w, body := get(t, ro, "/api/submit-masters-to-kv-stores", func(r *http.Request) { r.SetBasicAuth("readonly", "x") })
	if w.Code != 500 || body.(map[string]any)["Message"] != "Unauthorized" || len(kv.calls) != 0 {
		t.Errorf("readonly user: %d %v, calls %v, want Unauthorized", w.Code, body, kv.calls)
	}
}
