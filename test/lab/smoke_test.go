package lab

import (
	"fmt"
	"testing"
	"time"
)

// TestSmokeFailoverOracle: under write load the primary dies, a replica is
// promoted by hand, and the oracle passes; it then fails, with a clear report,
// on two writable hosts and on a lost acknowledged write.
func TestSmokeFailoverOracle(t *testing.T) {
	l := Up(t, Options{Hosts: 3})
	enableSemiSync(t, l) // an acknowledged write has reached a replica
	l.VIPAdd(1)
	o := l.Oracle()
	o.Watch()
	load := l.StartWriteLoad(1, 3*time.Second)
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		ids, err := load.Acked()
		if err == nil && len(ids) < 20 {
			err = fmt.Errorf("only %d acknowledged writes", len(ids))
		}
		return err
	})
	l.Kill(1)
	acked, err := load.Wait()
	if err != nil {
		t.Fatal(err)
	}
	newPrimary, other := promoteByHand(t, l)
	l.VIPDel(1)
	l.VIPAdd(newPrimary)
	r := o.CheckInvariants(Expect{Primary: newPrimary, Acked: acked, Survivors: []int{newPrimary, other}})
	if !r.OK() {
		t.Fatalf("correct promotion of host %d: %s", newPrimary, r)
	}
	t.Logf("host %d promoted; %d acknowledged writes kept; %s", newPrimary, len(acked), r)
	o.StopWatch()

	l.MustSQL(other, "SET GLOBAL read_only = 0")
	bad := l.Oracle().CheckInvariants(Expect{Primary: newPrimary, Acked: acked})
	if !bad.Has(RuleOneWritable) || !bad.Has(RulePrimary) {
		t.Errorf("oracle missed two writable hosts: %s", bad)
	}
	t.Logf("two writable hosts: %s", bad)
	l.MustSQL(other, "SET GLOBAL read_only = 1")

	lost := append(append([]int64(nil), acked...), 1) // id 1 was never written
	bad = l.Oracle().CheckInvariants(Expect{Primary: newPrimary, Acked: lost})
	if !bad.Has(RuleAckedPresent) || bad.Has(RuleOneWritable) {
		t.Errorf("oracle missed the lost write (or saw another violation): %s", bad)
	}
	t.Logf("lost write: %s", bad)
}

// enableSemiSync makes host 1 wait for a replica's receipt before it
// acknowledges a commit, so no acknowledged write exists only on host 1.
func enableSemiSync(t *testing.T, l *Lab) {
	t.Helper()
	l.EnableSemiSync()
}

// promoteByHand waits for both replicas to apply what they received, promotes
// the most advanced one (host 2 on a tie) and re-points the other to it.
func promoteByHand(t *testing.T, l *Lab) (primary, other int) {
	t.Helper()
	seq := map[int]int64{}
	for _, i := range []int{2, 3} {
		Eventually(t, 10*time.Second, 50*time.Millisecond, func() error { return relayApplied(l, i) })
		st := l.MustSQL(i, "SELECT @@gtid_current_pos")
		seq[i] = gtidSeq(GTIDDomain0(st[0][0]))
	}
	primary, other = 2, 3
	if seq[3] > seq[2] {
		primary, other = 3, 2
	}
	l.MustSQL(primary, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0")
	l.MustSQL(other, fmt.Sprintf("STOP SLAVE; CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=3306, "+
		"MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, "+
		"MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.2; START SLAVE", l.Host(primary).IP))
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		h := l.Status()[other-1]
		if !h.Replicating() || h.Source != l.Host(primary).IP {
			return fmt.Errorf("not re-pointed: %s", h)
		}
		return nil
	})
	return primary, other
}

// relayApplied: the SQL thread has executed everything the IO thread read.
func relayApplied(l *Lab, i int) error {
	ctx, cancel := shortCtx()
	defer cancel()
	st, err := l.slaveStatus(ctx, i)
	if err != nil {
		return err
	}
	if st["Relay_Master_Log_File"] != st["Master_Log_File"] || st["Exec_Master_Log_Pos"] != st["Read_Master_Log_Pos"] {
		return fmt.Errorf("host %d applies relay log: read %s:%s exec %s:%s", i,
			st["Master_Log_File"], st["Read_Master_Log_Pos"], st["Relay_Master_Log_File"], st["Exec_Master_Log_Pos"])
	}
	return nil
}

func gtidSeq(g string) int64 {
	var d, s, n int64
	if _, err := fmt.Sscanf(g, "%d-%d-%d", &d, &s, &n); err != nil {
		return -1
	}
	return n
}
