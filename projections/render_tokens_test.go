package projections

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// TestRenderTokensAsOrchestrator pins the bracket tokens to orchestrator's
// descriptionTokens (go/inst/instance.go): GTID only from the instance's
// own replication (Using_Gtid not No) or gtid_mode, so a MariaDB primary
// shows none; semi:master and semi:replica from the semi-sync status
// variables (not the *_enabled ones); ">>" needs log_bin and
// log_slave_updates; nobinlog without log_bin. The expected lines are
// what orchestrator prints for the same instances.
func TestRenderTokensAsOrchestrator(t *testing.T) {
	const v = mariaVersion
	cases := []struct {
		name      string
		mod       func(p, r2, r3 *events.InstanceObserved)
		topology  string
		tabulated string
	}{
		{"MariaDB GTID, no semi-sync", func(_, _, _ *events.InstanceObserved) {},
			"198.18.0.1:3306   [0s,ok," + v + ",rw,ROW,>>]\n" +
				"+ 198.18.0.2:3306 [0s,ok," + v + ",ro,ROW,>>,GTID]\n" +
				"+ 198.18.0.3:3306 [0s,ok," + v + ",ro,ROW,>>,GTID]",
			"198.18.0.1:3306  |0s|ok|" + v + "|rw|ROW|>>     \n" +
				"+ 198.18.0.2:3306|0s|ok|" + v + "|ro|ROW|>>,GTID\n" +
				"+ 198.18.0.3:3306|0s|ok|" + v + "|ro|ROW|>>,GTID"},
		{"semi-sync active on the primary and one replica", func(p, r2, r3 *events.InstanceObserved) {
			p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterClients: 1, MasterWaitForCount: 1}
			r2.SemiSync = events.SemiSync{Available: true, ReplicaEnabled: true, ReplicaStatus: true}
			r3.SemiSync = events.SemiSync{Available: true, ReplicaEnabled: true} // enabled, status OFF: no token
		},
			"198.18.0.1:3306   [0s,ok," + v + ",rw,ROW,>>,semi:master]\n" +
				"+ 198.18.0.2:3306 [0s,ok," + v + ",ro,ROW,>>,GTID,semi:replica]\n" +
				"+ 198.18.0.3:3306 [0s,ok," + v + ",ro,ROW,>>,GTID]",
			"198.18.0.1:3306  |0s|ok|" + v + "|rw|ROW|>>,semi:master      \n" +
				"+ 198.18.0.2:3306|0s|ok|" + v + "|ro|ROW|>>,GTID,semi:replica\n" +
				"+ 198.18.0.3:3306|0s|ok|" + v + "|ro|ROW|>>,GTID             "},
		{"semi-sync master enabled but off", func(p, _, _ *events.InstanceObserved) {
			p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterWaitForCount: 1}
		},
			"198.18.0.1:3306   [0s,ok," + v + ",rw,ROW,>>]\n" +
				"+ 198.18.0.2:3306 [0s,ok," + v + ",ro,ROW,>>,GTID]\n" +
				"+ 198.18.0.3:3306 [0s,ok," + v + ",ro,ROW,>>,GTID]", ""},
		{"file/pos replica, replica without log_slave_updates, primary without binlog", func(p, r2, r3 *events.InstanceObserved) {
			p.LogBin = false
			r2.Replication.UsingMariaDBGTID, r2.Replication.MariaDBGTIDMode = false, "No"
			r3.LogReplicaUpdates = false
		},
			"198.18.0.1:3306   [0s,ok," + v + ",rw,nobinlog]\n" +
				"+ 198.18.0.2:3306 [0s,ok," + v + ",ro,ROW,>>]\n" +
				"+ 198.18.0.3:3306 [0s,ok," + v + ",ro,ROW,GTID]",
			"198.18.0.1:3306  |0s|ok|" + v + "|rw|nobinlog|    \n" +
				"+ 198.18.0.2:3306|0s|ok|" + v + "|ro|ROW     |>>  \n" +
				"+ 198.18.0.3:3306|0s|ok|" + v + "|ro|ROW     |GTID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, r2, r3 := mariaPrimary(h1, 1), mariaReplica(h2, 2, h1), mariaReplica(h3, 3, h1)
			c.mod(p, r2, r3)
			v := newScript(t, DefaultSettings()).discover(h1).observe(threeNodes, p, r2, r3).at(500 * time.Millisecond).view()
			if got := render(t, v, c1, false); got != c.topology {
				t.Errorf("topology:\n%s\nwant (orchestrator):\n%s", got, c.topology)
			}
			if c.tabulated == "" {
				return
			}
			if got := render(t, v, c1, true); got != c.tabulated {
				t.Errorf("topology-tabulated:\n%q\nwant (orchestrator):\n%q", got, c.tabulated)
			}
		})
	}
}
