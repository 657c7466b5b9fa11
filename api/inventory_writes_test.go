package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

func (f *foldTags) SetClusterAlias(_ context.Context, p events.ClusterAliasSet) error {
	return f.apply(events.KindClusterAliasSet, p, events.InstanceKey{})
}

func TestSetClusterAliasAndRefresh(t *testing.T) {
	_, f := tagsServer(t, AuthOptions{})
	s := New(Options{}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(f, &fakeInventory{v: f.View()}, 3306)
	s.RegisterInventoryWrites(f, &fakeInventory{v: f.View()}, f)
	dba := func(r *http.Request) { r.SetBasicAuth("dba", "") }
	w, body := get(t, s, "/api/set-cluster-alias/198.18.0.1:3306?alias=shop", dba)
	if code, msg, _ := envelope(t, body); w.Code != 200 || code != "OK" || msg != "Cluster 198.18.0.1:3306 now has alias 'shop'" {
		t.Fatalf("set-cluster-alias: %d %v", w.Code, body)
	}
	if len(f.events) != 1 || f.events[0].Kind != events.KindClusterAliasSet {
		t.Fatalf("events: %+v", f.events)
	}
	// The alias now resolves.
	if _, body := get(t, s, "/api/cluster-info/shop", nil); body.(map[string]any)["ClusterAlias"] != "shop" {
		t.Errorf("cluster-info by the new alias: %v", body)
	}
	if w, body := get(t, s, "/api/set-cluster-alias/nosuch:3306?alias=x", dba); w.Code != 500 || body.(map[string]any)["Message"] != "Unable to determine cluster name. clusterHint=nosuch:3306" {
		t.Errorf("unknown cluster: %d %v", w.Code, body)
	}
	if w, body := get(t, s, "/api/set-cluster-alias/198.18.0.1:3306?alias=a%0Ab", dba); w.Code != 400 || body.(map[string]any)["Details"].(map[string]any)["Parameter"] != "alias" {
		t.Errorf("bad alias: %d %v", w.Code, body)
	}
	w, body = get(t, s, "/api/refresh/198.18.0.2/3306", dba)
	if code, msg, d := envelope(t, body); w.Code != 200 || code != "OK" || msg != "Instance refreshed: 198.18.0.2:3306" || d.(map[string]any)["Hostname"] != "198.18.0.2" {
		t.Errorf("refresh: %d %v", w.Code, body)
	}
	if w, body := get(t, s, "/api/refresh/198.18.0.9/3306", dba); w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "198.18.0.9:3306") {
		t.Errorf("refresh of an unreachable instance: %d %v", w.Code, body)
	}
	if len(f.events) != 1 {
		t.Fatalf("refused requests wrote events: %+v", f.events)
	}
	ro := New(Options{Auth: AuthOptions{ReadOnly: true}}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	ro.RegisterInventoryWrites(f, &fakeInventory{v: f.View()}, f)
	for _, p := range []string{"/api/set-cluster-alias/198.18.0.1:3306?alias=x", "/api/refresh/198.18.0.2/3306"} {
		if _, body := get(t, ro, p, nil); body.(map[string]any)["Message"] != "Unauthorized" {
			t.Errorf("read-only %s: %v", p, body)
		}
	}
}
