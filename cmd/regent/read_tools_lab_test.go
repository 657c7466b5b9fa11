package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/test/lab"
)

// TestLabToolReads runs the reads tools call (issue 17, item 2) through the
// real regent-client against three Regent nodes on MariaDB: OSC control
// replicas, can-replicate-from, restart-replica-statements, downtimed, and
// the tag family, whose writes sent to a follower are events the leader
// appends and every node then shows.
func TestLabToolReads(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	o := startOpsLab(t, l)
	const cluster = "198.18.0.1:3306"
	both := opsKey(2) + "\n" + opsKey(3)
	o.eventuallyPrints(labAPI, both, "-c", "which-cluster-osc-replicas", "-a", cluster)
	o.eventuallyPrints(o.follower, both, "-c", "which-cluster-osc-running-replicas", "-i", opsKey(1))
	o.must(labAPI, opsKey(2), "-c", "can-replicate-from", "-i", opsKey(3), "-d", opsKey(2))
	o.must(labAPI, opsKey(2), "-c", "can-replicate-from-gtid", "-i", opsKey(3), "-d", opsKey(2))
	o.refused(labAPI, []string{"instance cannot replicate from itself: 198.18.0.3:3306"}, "-c", "can-replicate-from", "-i", opsKey(3), "-d", opsKey(3))
	o.must(labAPI, `[ "stop slave io_thread;", "stop slave sql_thread;", "set global slave_net_timeout=60;", "start slave sql_thread;", "start slave io_thread;" ]`,
		"-c", "restart-replica-statements", "-i", opsKey(2), "-q", "set global slave_net_timeout=60")
	o.must(labAPI, `[ "set global slave_net_timeout=60;" ]`, "-c", "restart-slave-statements", "-i", opsKey(1), "-q", "set global slave_net_timeout=60")

	o.must(o.follower, opsKey(3), "-c", "begin-downtime", "-i", opsKey(3), "-o", "alice", "-r", "disk", "-u", "5m")
	o.eventuallyPrints(labAPI, opsKey(3), "-c", "downtimed")
	o.eventuallyPrints(o.follower, opsKey(3), "-c", "downtimed", "-a", cluster)
	o.must(labAPI, opsKey(3), "-c", "end-downtime", "-i", opsKey(3))
	o.eventuallyPrints(labAPI, "", "-c", "downtimed")

	// Tags: written through a follower, read from every node.
	o.must(o.follower, opsKey(2), "-c", "tag", "-i", opsKey(2), "-t", "role=reader")
	o.must(labAPI, opsKey(3), "-c", "tag", "-i", opsKey(3), "-t", "role=reader")
	o.must(labAPI, opsKey(3), "-c", "tag", "-i", opsKey(3), "-t", "backup")
	for _, u := range o.c.http {
		o.eventuallyPrints(u, both, "-c", "tagged", "-t", "role=reader")
		o.eventuallyPrints(u, "backup=\nrole=reader", "-c", "tags", "-i", opsKey(3))
	}
	o.must(o.follower, "reader", "-c", "tag-value", "-i", opsKey(2), "-t", "role")
	o.must(labAPI, opsKey(2), "-c", "tagged", "-t", "role,~backup")
	top, _, err := o.run(labAPI, "-c", "topology-tags", "-a", cluster)
	if lines := strings.Split(strings.TrimSpace(top), "\n"); err != nil || len(lines) != 3 ||
		!strings.HasSuffix(lines[0], "] []") || !strings.HasSuffix(lines[2], "] [backup,role=reader]") {
		t.Fatalf("topology-tags: %v\n%s", err, top)
	}
	o.must(o.follower, both, "-c", "untag-all", "-t", "role=reader")
	o.must(labAPI, opsKey(3), "-c", "untag", "-i", opsKey(3), "-t", "backup")
	lab.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		out, _, err := o.run(o.follower, "-c", "api", "-P", "audit/instance/198.18.0.3/3306")
		if err != nil || !strings.Contains(out, `"instance-untagged"`) || !strings.Contains(out, `"instance-tagged"`) {
			return fmt.Errorf("audit of 198.18.0.3 lacks the tag events: %v %s", err, out)
		}
		return nil
	})
	o.eventuallyPrints(labAPI, "", "-c", "tags", "-i", opsKey(3))
}
