package probes

import (
	"context"
	"reflect"
	"regexp"
	"testing"

	"github.com/rs/zerolog"
)

// TestDiscoveryIgnoreFilters: replica filters apply when crawling down,
// master filters when crawling up, the general ones both ways.
func TestDiscoveryIgnoreFilters(t *testing.T) {
	// db0 ← db1 ← db3, db0 ← db2; the crawl starts at db1.
	rx := func(s string) []*regexp.Regexp { return []*regexp.Regexp{regexp.MustCompile(s)} }
	for _, c := range []struct {
		name string
		o    Options
		want map[string]string
	}{
		{"no filter", Options{}, map[string]string{"db1:3306": ViaSeed, "db0:3306": ViaCrawlUp, "db2:3306": ViaCrawlDown, "db3:3306": ViaCrawlDown}},
		{"replica filter skips a replica", Options{DiscoveryIgnoreReplicaHostnameFilters: rx(`^db3`)},
			map[string]string{"db1:3306": ViaSeed, "db0:3306": ViaCrawlUp, "db2:3306": ViaCrawlDown}},
		{"replica filter does not apply up", Options{DiscoveryIgnoreReplicaHostnameFilters: rx(`^db0`)},
			map[string]string{"db1:3306": ViaSeed, "db0:3306": ViaCrawlUp, "db2:3306": ViaCrawlDown, "db3:3306": ViaCrawlDown}},
		{"master filter stops the crawl up", Options{DiscoveryIgnoreMasterHostnameFilters: rx(`^db0`)},
			map[string]string{"db1:3306": ViaSeed, "db3:3306": ViaCrawlDown}},
		{"master filter does not apply down", Options{DiscoveryIgnoreMasterHostnameFilters: rx(`^db3`)},
			map[string]string{"db1:3306": ViaSeed, "db0:3306": ViaCrawlUp, "db2:3306": ViaCrawlDown, "db3:3306": ViaCrawlDown}},
		{"general filter applies both ways", Options{DiscoveryIgnoreHostnameFilters: rx(`^db[02]`)},
			map[string]string{"db1:3306": ViaSeed, "db3:3306": ViaCrawlDown}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := newTopology()
			tp.node(key(0), nil, key(1), key(2))
			tp.node(key(1), kp(key(0)), key(3))
			tp.node(key(2), kp(key(0)))
			tp.node(key(3), kp(key(1)))
			rec := &recorder{}
			c.o.NodeID = "n1"
			d := NewDiscoverer(tp, rec, nil, c.o, nil, zerolog.Nop())
			if _, err := d.DiscoverVia(context.Background(), key(1), ViaSeed); err != nil {
				t.Fatal(err)
			}
			if got := rec.discovered(t); !reflect.DeepEqual(got, c.want) {
				t.Errorf("discovered %v\nwant       %v", got, c.want)
			}
			for k := range tp.probed {
				if _, ok := c.want[k.String()]; !ok {
					t.Errorf("filtered %v was probed", k)
				}
			}
		})
	}
}
