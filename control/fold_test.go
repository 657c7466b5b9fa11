package control

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestConcurrentReadersShareAView: readers that find the cached view too
// old at the same moment share one computation instead of each computing
// its own (a view of a large fleet takes tens of milliseconds).
func TestConcurrentReadersShareAView(t *testing.T) {
	a, err := NewFold(nil, projections.DefaultSettings(), []string{"n1"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 3000 { // enough instances for a view to take milliseconds
		obs := events.InstanceObserved{Key: events.InstanceKey{Hostname: fmt.Sprintf("db%d", i), Port: 3306},
			ServerID: uint32(i + 1), Version: "10.11.6-MariaDB-log", Flavor: "MariaDB", LogBin: true, BinlogFormat: "ROW"}
		env, err := events.New(events.KindInstanceObserved, now, "n1", obs)
		if err != nil {
			t.Fatal(err)
		}
		env.Instance = obs.Key.String()
		if err := a.topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	const readers = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	views := make([]*projections.View, readers)
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			views[i] = a.ViewWithin(0)
		}()
	}
	close(start)
	wg.Wait()
	for i, v := range views {
		if v == nil {
			t.Fatalf("reader %d got no view", i)
		}
		if n := len(v.Instances()); n != 3000 {
			t.Fatalf("reader %d got a view of %d instances, want 3000", i, n)
		}
	}
	if n := a.computes.Load(); n >= readers {
		t.Fatalf("%d readers computed %d views: none was shared", readers, n)
	} else {
		t.Logf("%d readers computed %d views", readers, n)
	}
}
