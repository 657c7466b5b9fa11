package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabReplicationControl runs orchestrator-client's remaining
// replication controls through the real regent-client against three Regent
// nodes on MariaDB (writes sent to a follower too, which forwards them) and
// checks each server's state afterwards: semi-sync on both sides (the
// replica's IO thread restarted and negotiated), stop-replica-nice,
// skip-query over a duplicate-key error, flush-binary-logs and
// purge-binary-logs with its replica check, delay-replication keeping the
// threads' state, the master-host detach synonyms, and move-up,
// move-below, repoint; refusals name the flag or instance and change
// nothing; every operation carried out is a manual-operation-started event
// written by the leader.
func TestLabReplicationControl(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	// PURGE BINARY LOGS needs BINLOG ADMIN, which the lab's regent user
	// lacks: granted on host 1 alone (not replicated), before Regent
	// connects (a global privilege applies to new connections).
	l.MustSQL(1, "SET SESSION sql_log_bin=0; GRANT BINLOG ADMIN ON *.* TO 'regent'@'%'; SET SESSION sql_log_bin=1")
	r := &replCtlLab{opsLab: startOpsLab(t, l)}
	r.semiSync()
	r.stopNice()
	r.skipQuery()
	r.binaryLogs()
	r.delay()
	r.masterHostSynonyms()
	r.moves()
	r.badInput()
	r.checkLog(r.leader)
}

// replCtlLab adds server reads the lab helpers do not have.
type replCtlLab struct {
	*opsLab
}

// status reads host i's SHOW SLAVE STATUS by column name (empty when it is
// not a replica).
func (r *replCtlLab) status(i int) map[string]string {
	r.t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "regent", "regent", "tcp", fmt.Sprintf("198.18.0.%d:3306", i)
	cfg.Timeout, cfg.ReadTimeout = 2*time.Second, 5*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		r.t.Fatalf("SHOW SLAVE STATUS on host %d: %v", i, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]string{}
	if rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			r.t.Fatalf("SHOW SLAVE STATUS on host %d: %v", i, err)
		}
		for j, c := range cols {
			out[c] = vals[j].String
		}
	}
	return out
}

// one reads a single value on host i.
func (r *replCtlLab) one(i int, q string) string {
	r.t.Helper()
	rows := r.l.MustSQL(i, q)
	if len(rows) != 1 || len(rows[0]) == 0 {
		r.t.Fatalf("host %d: %s: %v", i, q, rows)
	}
	return rows[0][len(rows[0])-1]
}

// eventuallyOne waits until host i answers q with want.
func (r *replCtlLab) eventuallyOne(i int, q, want string) {
	r.t.Helper()
	lab.Eventually(r.t, 5*time.Second, 50*time.Millisecond, func() error {
		if got := r.one(i, q); got != want {
			return fmt.Errorf("host %d: %s is %q, want %q", i, q, got, want)
		}
		return nil
	})
}

// binlogs lists host i's binary logs.
func (r *replCtlLab) binlogs(i int) []string {
	r.t.Helper()
	var out []string
	for _, row := range r.l.MustSQL(i, "SHOW BINARY LOGS") {
		out = append(out, row[0])
	}
	return out
}

// semiSync: the replica side on host 2 (its IO thread restarted so it
// negotiates semi-sync), the source side on host 1 (host 2 becomes its
// semi-sync client), then both off again.
func (r *replCtlLab) semiSync() {
	r.t.Helper()
	r.l.MustSQL(1, "SET GLOBAL rpl_semi_sync_master_timeout = 2000")
	before := r.replicationThreads(2)
	r.must(r.follower, opsKey(2), "-c", "enable-semi-sync-replica", "-i", opsKey(2))
	if v := r.one(2, "SELECT @@global.rpl_semi_sync_slave_enabled"); v != "1" {
		r.t.Fatalf("after enable-semi-sync-replica: rpl_semi_sync_slave_enabled=%s", v)
	}
	r.eventuallyHost(2, "replicating", lab.HostStatus.Replicating)
	if after := r.replicationThreads(2); after == before {
		r.t.Fatalf("enable-semi-sync-replica: replication threads %q before and after: IO thread not restarted", before)
	}
	r.must(labAPI, opsKey(1), "-c", "enable-semi-sync-master", "-i", opsKey(1))
	if v := r.one(1, "SELECT @@global.rpl_semi_sync_master_enabled"); v != "1" {
		r.t.Fatalf("after enable-semi-sync-master: rpl_semi_sync_master_enabled=%s", v)
	}
	r.eventuallyOne(1, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'", "1")
	r.eventuallyOne(2, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'", "ON")
	r.writeAndSee(1, 2, 3)
	if v := r.one(1, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_yes_tx'"); v == "0" {
		r.t.Fatalf("no transaction acknowledged by a semi-sync replica (Rpl_semi_sync_master_yes_tx=%s)", v)
	}
	r.eventuallyInstance(labAPI, 1, fields(map[string]any{"SemiSyncMasterEnabled": true}))
	r.eventuallyInstance(labAPI, 2, fields(map[string]any{"SemiSyncReplicaEnabled": true}))
	r.must(labAPI, opsKey(1), "-c", "disable-semi-sync-master", "-i", opsKey(1))
	r.must(r.follower, opsKey(2), "-c", "disable-semi-sync-replica", "-i", opsKey(2))
	if m, s := r.one(1, "SELECT @@global.rpl_semi_sync_master_enabled"), r.one(2, "SELECT @@global.rpl_semi_sync_slave_enabled"); m != "0" || s != "0" {
		r.t.Fatalf("after disable: rpl_semi_sync_master_enabled=%s, rpl_semi_sync_slave_enabled=%s", m, s)
	}
	r.eventuallyOne(2, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'", "OFF")
	r.eventuallyHost(2, "replicating", lab.HostStatus.Replicating)
	r.writeAndSee(1, 2, 3)
}

// stopNice: stop-replica-nice on host 3 leaves both threads stopped with
// everything fetched applied; start-replica resumes it.
func (r *replCtlLab) stopNice() {
	r.t.Helper()
	r.writeAndSee(1, 3)
	r.must(r.follower, opsKey(3), "-c", "stop-slave-nice", "-i", opsKey(3))
	st := r.status(3)
	if st["Slave_IO_Running"] != "No" || st["Slave_SQL_Running"] != "No" {
		r.t.Fatalf("after stop-replica-nice: IO %q SQL %q", st["Slave_IO_Running"], st["Slave_SQL_Running"])
	}
	if applied := r.one(3, "SELECT @@gtid_slave_pos"); applied != st["Gtid_IO_Pos"] {
		r.t.Fatalf("after stop-replica-nice: applied %s, fetched %s", applied, st["Gtid_IO_Pos"])
	}
	r.must(labAPI, opsKey(3), "-c", "start-replica", "-i", opsKey(3))
	r.eventuallyHost(3, "replicating", lab.HostStatus.Replicating)
	r.writeAndSee(1, 3)
}

// skipQuery: a row written on host 2 alone makes the same row from the
// primary fail with a duplicate key; skip-query is refused on the healthy
// host 3, and on host 2 skips that event and replication goes on.
func (r *replCtlLab) skipQuery() {
	r.t.Helper()
	r.nextID++
	id := 900_000_000 + r.nextID
	r.l.MustSQL(2, fmt.Sprintf("SET SESSION sql_log_bin=0; INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6)); SET SESSION sql_log_bin=1", id))
	r.l.MustSQL(1, fmt.Sprintf("INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6))", id))
	r.eventuallyHost(2, "stopped on the duplicate row", func(h lab.HostStatus) bool { return h.SQLRunning == "No" })
	if st := r.status(2); st["Last_SQL_Errno"] != "1062" {
		r.t.Fatalf("host 2 SQL thread stopped with %q %q, want 1062", st["Last_SQL_Errno"], st["Last_SQL_Error"])
	}
	r.refused(labAPI, []string{"skip-query", "198.18.0.3:3306", "the SQL thread is running"}, "-c", "skip-query", "-i", opsKey(3))
	r.refused(labAPI, []string{"198.18.0.1:3306 is not a replica"}, "-c", "skip-query", "-i", opsKey(1))
	r.must(r.follower, opsKey(2), "-c", "skip-query", "-i", opsKey(2))
	r.eventuallyHost(2, "replicating", lab.HostStatus.Replicating)
	if st := r.status(2); st["Last_SQL_Errno"] != "0" {
		r.t.Fatalf("after skip-query: host 2 SQL error %q %q", st["Last_SQL_Errno"], st["Last_SQL_Error"])
	}
	r.writeAndSee(1, 2, 3)
	r.l.MustSQL(1, fmt.Sprintf("DELETE FROM regent_lab.acked WHERE id = %d", id)) // the same on every host again
	r.eventuallyOne(2, fmt.Sprintf("SELECT COUNT(*) FROM regent_lab.acked WHERE id = %d", id), "0")
}

// binaryLogs: flush-binary-logs opens a new binary log on host 1;
// purge-binary-logs is refused while the stopped host 3 still needs an
// older one (nothing purged), and by the server without BINLOG ADMIN,
// then purges once the replicas have caught up and the privilege is there.
func (r *replCtlLab) binaryLogs() {
	r.t.Helper()
	logs := r.binlogs(1)
	r.must(r.follower, opsKey(1), "-c", "flush-binary-logs", "-i", opsKey(1))
	flushed := r.binlogs(1)
	if len(flushed) != len(logs)+1 {
		r.t.Fatalf("flush-binary-logs: binary logs %v before, %v after", logs, flushed)
	}
	r.writeAndSee(1, 2, 3)
	r.must(labAPI, opsKey(3), "-c", "stop-replica", "-i", opsKey(3))
	reading := r.status(3)["Master_Log_File"]
	r.must(labAPI, opsKey(1), "-c", "flush-binary-logs", "-i", opsKey(1))
	r.writeAndSee(1, 2)
	all := r.binlogs(1)
	newest := all[len(all)-1]
	if reading == newest || reading == "" {
		r.t.Fatalf("host 3 reads %q, newest binary log %q", reading, newest)
	}
	// Host 3 (stopped) still reads an older log; the refusal names the first
	// replica found needing one (host 2 may also still be on it for a moment
	// under load: both are right).
	r.refused(r.follower, []string{"still reads binary log " + reading, "before " + newest, "refusing to purge it"},
		"-c", "purge-binary-logs", "-i", opsKey(1), "-n", newest)
	if now := r.binlogs(1); len(now) != len(all) {
		r.t.Fatalf("refused purge changed the binary logs: %v, was %v", now, all)
	}
	r.refused(labAPI, []string{`198.18.0.1:3306 has no binary log "nosuch.000001"`}, "-c", "purge-binary-logs", "-i", opsKey(1), "-n", "nosuch.000001")
	r.must(labAPI, opsKey(3), "-c", "start-replica", "-i", opsKey(3))
	lab.Eventually(r.t, 5*time.Second, 50*time.Millisecond, func() error {
		for _, i := range []int{2, 3} {
			if st := r.status(i); st["Master_Log_File"] != newest || st["Relay_Master_Log_File"] != newest {
				return fmt.Errorf("host %d reads %s, executes %s; newest %s", i, st["Master_Log_File"], st["Relay_Master_Log_File"], newest)
			}
		}
		return nil
	})
	// On host 2 the lab's regent user lacks BINLOG ADMIN: the server refuses
	// and the answer names the privilege.
	logs2 := r.binlogs(2)
	r.refused(labAPI, []string{"purge-binary-logs", "198.18.0.2:3306", "BINLOG ADMIN"}, "-c", "purge-binary-logs", "-i", opsKey(2), "-n", logs2[len(logs2)-1])
	if now := r.binlogs(2); len(now) != len(logs2) {
		r.t.Fatalf("refused purge on host 2 changed its binary logs: %v, was %v", now, logs2)
	}
	// MariaDB keeps the binary logs crash recovery may still need until its
	// binlog checkpoint reaches the newest log.
	lab.Eventually(r.t, 10*time.Second, 100*time.Millisecond, func() error {
		for _, ev := range r.l.MustSQL(1, "SHOW BINLOG EVENTS IN '"+newest+"'") {
			if len(ev) >= 6 && ev[2] == "Binlog_checkpoint" && strings.Contains(ev[5], newest) {
				return nil
			}
		}
		return fmt.Errorf("host 1: no binlog checkpoint at %s yet", newest)
	})
	r.must(labAPI, opsKey(1), "-c", "purge-binary-logs", "-i", opsKey(1), "-n", newest)
	if now := r.binlogs(1); len(now) != 1 || now[0] != newest {
		r.t.Fatalf("after purge-binary-logs to %s: binary logs %v", newest, now)
	}
	r.writeAndSee(1, 2, 3)
}

// delayReplication runs delay-replication on host i through url: like
// orchestrator-client it prints the whole Details, the instance's JSON.
func (r *replCtlLab) delayReplication(url string, i int, flag, seconds string) {
	r.t.Helper()
	out, errOut, err := r.run(url, "-c", "delay-replication", "-i", opsKey(i), flag, seconds)
	if err != nil {
		r.t.Fatalf("delay-replication %s %s: %v\nstdout: %s\nstderr: %s", flag, seconds, err, out, errOut)
	}
	var inst struct{ Key struct{ Hostname string } }
	if err := json.Unmarshal([]byte(out), &inst); err != nil || inst.Key.Hostname != fmt.Sprintf("198.18.0.%d", i) {
		r.t.Fatalf("delay-replication printed %q (%v), want the instance's JSON", out, err)
	}
}

// delay: delay-replication on running host 3 keeps it running with
// SQL_Delay set; on a stopped host it stays stopped; 0 clears it.
func (r *replCtlLab) delay() {
	r.t.Helper()
	r.delayReplication(r.follower, 3, "-S", "7")
	if st := r.status(3); st["SQL_Delay"] != "7" {
		r.t.Fatalf("after delay-replication 7: SQL_Delay %q", st["SQL_Delay"])
	}
	r.eventuallyHost(3, "replicating", lab.HostStatus.Replicating)
	r.eventuallyInstance(labAPI, 3, fields(map[string]any{"SQLDelay": 7}))
	r.must(labAPI, opsKey(3), "-c", "stop-replica", "-i", opsKey(3))
	r.delayReplication(labAPI, 3, "--seconds", "0")
	st := r.status(3)
	if st["SQL_Delay"] != "0" || st["Slave_IO_Running"] != "No" || st["Slave_SQL_Running"] != "No" {
		r.t.Fatalf("delay-replication 0 on a stopped replica: SQL_Delay %q IO %q SQL %q", st["SQL_Delay"], st["Slave_IO_Running"], st["Slave_SQL_Running"])
	}
	r.must(labAPI, opsKey(3), "-c", "start-replica", "-i", opsKey(3))
	r.eventuallyHost(3, "replicating", lab.HostStatus.Replicating)
	r.writeAndSee(1, 3)
}

// masterHostSynonyms: detach-replica-master-host and
// reattach-replica-master-host act as detach-replica and reattach-replica.
func (r *replCtlLab) masterHostSynonyms() {
	r.t.Helper()
	r.must(r.follower, opsKey(3), "-c", "detach-replica-master-host", "-i", opsKey(3))
	if h := r.host(3); h.Source != "//198.18.0.1" || h.IORunning != "No" || h.SQLRunning != "No" {
		r.t.Fatalf("after detach-replica-master-host: %s", h)
	}
	r.must(labAPI, opsKey(3), "-c", "reattach-slave-master-host", "-i", opsKey(3))
	r.eventuallyHost(3, "replicating from 198.18.0.1", func(h lab.HostStatus) bool { return h.Source == "198.18.0.1" && h.Replicating() })
	r.writeAndSee(1, 3)
}

// moves: repoint 3 below 2 (chain), move-up back below 1, move-below its
// sibling 2, move-up again; refusals change nothing.
func (r *replCtlLab) moves() {
	r.t.Helper()
	below := func(i, src int) {
		r.t.Helper()
		want := fmt.Sprintf("198.18.0.%d", src)
		r.eventuallyHost(i, "replicating from "+want, func(h lab.HostStatus) bool { return h.Source == want && h.Replicating() })
	}
	r.must(r.follower, opsKey(3)+"<"+opsKey(2), "-c", "repoint", "-i", opsKey(3), "-d", opsKey(2))
	below(3, 2)
	r.writeAndSee(1, 2, 3)
	r.eventuallyPrints(labAPI, opsKey(2), "-c", "which-master", "-i", opsKey(3))
	r.must(labAPI, opsKey(3)+"<"+opsKey(1), "-c", "move-up", "-i", opsKey(3))
	below(3, 1)
	r.writeAndSee(1, 3)
	r.refused(labAPI, []string{"cannot move 198.18.0.2:3306 up: its source 198.18.0.1:3306 is not a replica"}, "-c", "move-up", "-i", opsKey(2))
	r.refused(labAPI, []string{"cannot move 198.18.0.3:3306 below 198.18.0.1:3306: not siblings"}, "-c", "move-below", "-i", opsKey(3), "-d", opsKey(1))
	if h := r.host(2); h.Source != "198.18.0.1" || !h.Replicating() {
		r.t.Fatalf("refused moves changed host 2: %s", h)
	}
	r.eventuallyPrints(labAPI, opsKey(1), "-c", "which-master", "-i", opsKey(3))
	r.must(labAPI, opsKey(3)+"<"+opsKey(2), "-c", "move-below", "-i", opsKey(3), "-d", opsKey(2))
	below(3, 2)
	r.writeAndSee(1, 2, 3)
	r.eventuallyPrints(labAPI, opsKey(2), "-c", "which-master", "-i", opsKey(3))
	r.must(r.follower, opsKey(3)+"<"+opsKey(1), "-c", "move-up", "-i", opsKey(3))
	below(3, 1)
	r.writeAndSee(1, 2, 3)
}

// badInput: missing or malformed arguments are refused naming the flag or
// instance, and reach no server.
func (r *replCtlLab) badInput() {
	r.t.Helper()
	r.refused(labAPI, []string{"binlog must be provided (-n)"}, "-c", "purge-binary-logs", "-i", opsKey(1))
	r.refused(labAPI, []string{"seconds must be provided (-S)"}, "-c", "delay-replication", "-i", opsKey(3))
	r.refused(labAPI, []string{`invalid seconds "1h" (-S)`}, "-c", "delay-replication", "-i", opsKey(3), "-S", "1h")
	r.refused(labAPI, []string{`invalid binary log name "-x" (-n)`}, "-c", "purge-binary-logs", "-i", opsKey(1), "-n", "-x")
	r.refused(labAPI, []string{"unknown instance 198.18.0.9:3306"}, "-c", "enable-semi-sync-master", "-i", "198.18.0.9")
	r.refused(labAPI, []string{"destination must be provided (-d)"}, "-c", "move-below", "-i", opsKey(3))
	if st := r.status(3); st["SQL_Delay"] != "0" {
		r.t.Fatalf("refused delay-replication changed SQL_Delay to %q", st["SQL_Delay"])
	}
}

// checkLog: the operations carried out, and only those, are
// manual-operation-started events written by the leader.
func (r *replCtlLab) checkLog(leader string) {
	r.t.Helper()
	leaderIP := strings.TrimSuffix(strings.TrimPrefix(leader, "http://"), ":3000")
	_, all := eventKinds(r.t, "198.18.0.101:4222")
	var ops []string
	for _, e := range all {
		if e.Kind != events.KindManualOperationStarted {
			continue
		}
		if host, _, _ := strings.Cut(e.Origin, ":"); host != leaderIP {
			r.t.Errorf("%s %s written by %s, not the leader %s", e.Kind, e.Instance, e.Origin, leaderIP)
		}
		var m events.ManualOperation
		if err := e.Decode(&m); err != nil {
			r.t.Fatalf("decode %s: %v", e.Kind, err)
		}
		ops = append(ops, strings.TrimSpace(m.Operation+" "+m.Target.Hostname+" "+m.Detail))
	}
	h1, h2, h3 := "198.18.0.1", "198.18.0.2", "198.18.0.3"
	want := []string{
		"enable-semi-sync-replica " + h2, "enable-semi-sync-master " + h1, "disable-semi-sync-master " + h1, "disable-semi-sync-replica " + h2,
		"stop-replica-nice " + h3, "start-replica " + h3,
		"skip-query " + h3, // refused by the server: the event is written before the server is asked
		"skip-query " + h2,
		"flush-binary-logs " + h1, "stop-replica " + h3, "flush-binary-logs " + h1, "start-replica " + h3, "purge-binary-logs " + h2 + " to ", "purge-binary-logs " + h1 + " to ",
		"delay-replication " + h3 + " 7 s", "stop-replica " + h3, "delay-replication " + h3 + " 0 s", "start-replica " + h3,
		"detach-replica " + h3, "reattach-replica " + h3,
		"repoint " + h3 + " below 198.18.0.2:3306", "move-up " + h3 + " below 198.18.0.1:3306",
		"move-below " + h3 + " below 198.18.0.2:3306", "move-up " + h3 + " below 198.18.0.1:3306",
	}
	if len(ops) != len(want) {
		r.t.Fatalf("manual operations in the log:\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(ops[i], want[i]) {
			r.t.Fatalf("manual operation %d is %q, want %q; all:\n%s", i, ops[i], want[i], strings.Join(ops, "\n"))
		}
	}
	// The server refused skip-query on host 3 and the purge on host 2
	// (no BINLOG ADMIN then): their outcomes say so.
	checkOutcomes(r.t, all, map[string]bool{"skip-query " + h3: true, "purge-binary-logs " + h2: true})
}
