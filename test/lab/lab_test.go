package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// upBound is how long `scripts/lab up 3 --controllers 1` may take once the
// datadir template is cached (docs/lab.md measures 0.74–1.0 s alone; the
// bound leaves room for a loaded 2-core machine).
const upBound = 5 * time.Second

// TestUpStatusDown: a flat lab comes up within upBound, replicates, and
// down leaves nothing behind — not even a running write load or a process
// started in a lab namespace.
func TestUpStatusDown(t *testing.T) {
	if !TemplateCached() {
		// The first up of a machine initialises the template: not timed.
		t.Run("warm template cache", func(t *testing.T) { Up(t, Options{Hosts: 1}) })
		if !TemplateCached() {
			t.Fatal("scripts/lab up left no template in the cache")
		}
	}
	l := Up(t, Options{Hosts: 3, Controllers: 1})
	t.Logf("up 3 (template cached) took %v", l.UpTook().Round(time.Millisecond))
	if l.UpTook() > upBound {
		t.Errorf("up 3 with a cached template took %v, want ≤ %v", l.UpTook(), upBound)
	}
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		return checkTopology(l.Status(), map[int]string{2: "198.18.0.1", 3: "198.18.0.1"})
	})
	out := l.must("status")
	if !strings.Contains(out, "198.18.0.1    Yes Yes") {
		t.Errorf("lab status does not show replication:\n%s", out)
	}
	pids := map[string]int{}
	for i := 1; i <= 3; i++ {
		pids[fmt.Sprintf("mariadbd of host %d", i)] = readPid(t, filepath.Join(l.Host(i).Dir, "mariadbd.pid"))
	}
	load := l.StartWriteLoad(1, time.Minute)
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		ids, err := load.Acked()
		if err == nil && len(ids) == 0 {
			err = fmt.Errorf("no write acknowledged yet")
		}
		return err
	})
	loads, _ := filepath.Glob(filepath.Join(l.Dir(), "writeload-*.pid"))
	if len(loads) != 1 {
		t.Fatalf("write-load pid files: %v, want one", loads)
	}
	pids["write-load"] = readPid(t, loads[0])
	c1, _ := l.Controller(1)
	sleeper := RunInNetns(t, c1, "sleep", []string{"300"}, nil)
	pids["sleep in "+c1] = sleeper.Pid()
	for what, pid := range pids {
		if !running(pid) {
			t.Fatalf("%s (pid %d) does not run before down", what, pid)
		}
	}
	l.Down()
	checkNothingLeft(t, l, pids)
	if out, err := l.script("down"); err != nil {
		t.Errorf("second down failed: %v\n%s", err, out)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read recorded pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", path, err)
	}
	return pid
}

// checkNothingLeft: no lab namespace, bridge or veth, none of pids running,
// no state directory or command lock.
func checkNothingLeft(t *testing.T, l *Lab, pids map[string]int) {
	t.Helper()
	netns, _ := exec.Command("ip", "netns", "list").CombinedOutput()
	for _, line := range strings.Split(string(netns), "\n") {
		if strings.HasPrefix(line, "rgt-") {
			t.Errorf("namespace left behind: %s", line)
		}
	}
	links, err := exec.Command("ip", "-o", "link", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show: %v\n%s", err, links)
	}
	for _, line := range strings.Split(string(links), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if strings.HasPrefix(name, "rgtv-") || name == "rgtlab0" {
				t.Errorf("link left behind: %s", name)
			}
		}
	}
	for what, pid := range pids {
		if running(pid) {
			t.Errorf("%s (pid %d) still runs after down", what, pid)
		}
	}
	for _, path := range []string{l.Dir(), l.Dir() + ".cmd.lock"} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("state %s left behind (stat: %v)", path, err)
		}
	}
}

// TestAppInsertOnReplicaRefused: the application user cannot write on a
// read-only replica (MariaDB error 1290, ER_OPTION_PREVENTS_STATEMENT) but
// can on the primary — what makes read_only a fence.
func TestAppInsertOnReplicaRefused(t *testing.T) {
	l := Up(t, Options{Hosts: 2})
	insert := func(i int, id int64) error {
		db := appDB(t, l.Host(i).Addr, 2*time.Second)
		defer db.Close()
		ctx, cancel := shortCtx()
		defer cancel()
		_, err := db.ExecContext(ctx, "INSERT INTO regent_lab.acked (id) VALUES (?)", id)
		return err
	}
	if err := insert(1, 1); err != nil {
		t.Fatalf("app insert on the primary: %v", err)
	}
	// Row 1 on host 2: it has applied everything before, the app user too.
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error { return hasRow(l, 2, 1) })
	err := insert(2, 2)
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1290 {
		t.Fatalf("app insert on read-only host 2: %v, want MySQL error 1290 (--read-only)", err)
	}
	t.Logf("app insert on the replica: %v", err)
	if err := hasRow(l, 2, 2); err == nil {
		t.Error("the refused row is on host 2")
	}
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// checkTopology wants host 1 writable and each listed replica replicating from
// its source address.
func checkTopology(hosts []HostStatus, sources map[int]string) error {
	for _, h := range hosts {
		want, replica := sources[h.Index]
		switch {
		case !h.Up:
			return fmt.Errorf("%s", h)
		case !replica && (h.ReadOnly || h.Source != ""):
			return fmt.Errorf("want a writable primary: %s", h)
		case replica && (!h.ReadOnly || h.Source != want || !h.Replicating()):
			return fmt.Errorf("want a read-only replica of %s: %s", want, h)
		}
	}
	return nil
}

// TestChained: host 3 replicates from host 2, and a write on host 1 reaches it.
func TestChained(t *testing.T) {
	l := Up(t, Options{Hosts: 3, Chained: true})
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		return checkTopology(l.Status(), map[int]string{2: "198.18.0.1", 3: "198.18.0.2"})
	})
	l.MustSQL(1, "INSERT INTO regent_lab.acked (id) VALUES (42)")
	Eventually(t, 5*time.Second, 50*time.Millisecond, func() error { return hasRow(l, 3, 42) })
}

func hasRow(l *Lab, host int, id int64) error {
	rows, err := l.SQL(host, fmt.Sprintf("SELECT COUNT(*) FROM regent_lab.acked WHERE id = %d", id))
	if err != nil {
		return err
	}
	if rows[0][0] != "1" {
		return fmt.Errorf("id %d not on host %d yet", id, host)
	}
	return nil
}

// TestCutSeparatesOnlyThePair: c1 loses host 1, but host 2 still replicates
// from host 1 and c1 still reaches host 2.
func TestCutSeparatesOnlyThePair(t *testing.T) {
	l := Up(t, Options{Hosts: 3, Controllers: 1})
	c1, _ := l.Controller(1)
	dial := func(addr string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := DialFrom(ctx, c1, addr)
		if err == nil {
			_ = conn.Close()
		}
		return err
	}
	if err := dial(l.Host(1).Addr); err != nil {
		t.Fatalf("before cut: %v", err)
	}
	l.Cut("c1", "1")
	if err := dial(l.Host(1).Addr); err == nil {
		t.Fatalf("c1 still reaches host 1 after cut c1 1")
	}
	if err := dial(l.Host(2).Addr); err != nil {
		t.Errorf("c1 lost host 2 after cut c1 1: %v", err)
	}
	l.MustSQL(1, "INSERT INTO regent_lab.acked (id) VALUES (7)")
	Eventually(t, 5*time.Second, 50*time.Millisecond, func() error { return hasRow(l, 2, 7) })
	if h := l.Status()[1]; !h.Replicating() || h.Source != "198.18.0.1" {
		t.Errorf("host 2 stopped replicating from host 1 during the cut: %s", h)
	}
	l.Uncut("c1", "1")
	Eventually(t, 5*time.Second, 100*time.Millisecond, func() error { return dial(l.Host(1).Addr) })
}

// TestVIPMoves: a client in a controller namespace follows the VIP.
func TestVIPMoves(t *testing.T) {
	l := Up(t, Options{Hosts: 3, Controllers: 1})
	c1, _ := l.Controller(1)
	db, err := OpenFrom(c1, VIPAddr, "regent", "regent")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0) // every query dials the VIP anew
	serverID := func(want string) func() error {
		return func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var id string
			if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil {
				return err
			}
			if id != want {
				return fmt.Errorf("VIP answers with server_id %s, want %s", id, want)
			}
			return nil
		}
	}
	l.VIPAdd(1)
	if got := l.VIPWhere(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("VIP on %v, want [1]", got)
	}
	Eventually(t, 5*time.Second, 100*time.Millisecond, serverID("1"))
	l.VIPDel(1)
	l.VIPAdd(2)
	if got := l.VIPWhere(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("VIP on %v, want [2]", got)
	}
	Eventually(t, 5*time.Second, 100*time.Millisecond, serverID("2"))
}

// TestRunInNetns: a process runs in a controller namespace and stops by pid.
func TestRunInNetns(t *testing.T) {
	l := Up(t, Options{Hosts: 1, Controllers: 1})
	c1, ip := l.Controller(1)
	p := RunInNetns(t, c1, "ip", []string{"-o", "addr", "show", "dev", "eth0"}, nil)
	Eventually(t, 5*time.Second, 20*time.Millisecond, func() error {
		if !p.Exited() {
			return fmt.Errorf("still running")
		}
		return nil
	})
	if !strings.Contains(p.Log(5), ip+"/24") {
		t.Errorf("process did not run in %s: %s", c1, p.Log(5))
	}
	s := RunInNetns(t, c1, "sleep", []string{"60"}, nil)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if !s.Exited() || running(s.Pid()) {
		t.Errorf("sleep (pid %d) still runs after Stop", s.Pid())
	}
}

// TestConnectionAdminBeyondMaxConnections: with max_connections used up by
// the application, the lab's regent user (CONNECTION ADMIN) still
// connects, and the same grants without CONNECTION ADMIN get error 1040 —
// the reason docs/lab.md gives for that grant.
//
// MariaDB counts a connection from accept until its thread has ended, and
// refuses at accept once the count reaches max_connections + 1: the one
// extra slot is for CONNECTION ADMIN, and whoever holds it (a refused
// connection whose thread has not ended yet, a privileged pool's idle
// connection) makes the next privileged login fail with 1040 too. So the
// test owns every connection it counts: one root observer (the only other
// connection to this lab's server), the application's, and the one under
// test; and before each login it waits until the server's count is exactly
// what it holds.
func TestConnectionAdminBeyondMaxConnections(t *testing.T) {
	l := Up(t, Options{Hosts: 1})
	l.MustSQL(1, "CREATE USER 'noca'@'%' IDENTIFIED BY 'noca'; GRANT PROCESS, RELOAD, BINLOG MONITOR, SLAVE MONITOR, "+
		"REPLICATION MASTER ADMIN, REPLICATION SLAVE ADMIN, READ_ONLY ADMIN ON *.* TO 'noca'@'%'; SET GLOBAL max_connections = 10")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obs := connectionObserver(ctx, t, l)
	app := appDB(t, l.Host(1).Addr, 2*time.Second)
	defer app.Close()
	held := 1 // the observer
	// MariaDB's minimum max_connections is 10: 20 tries are enough.
	for k := 0; k < 20; k++ {
		conn, err := app.Conn(ctx)
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1040 {
			break
		}
		if err != nil {
			t.Fatalf("app connection %d: %v", k+1, err)
		}
		defer conn.Close()
		held++
	}
	if held != 10 {
		t.Fatalf("the observer and the app hold %d connections when the app is refused, want max_connections = 10", held)
	}
	connect := func(user, password string) error {
		obs.settle(held)
		db, err := OpenFrom(l.Host(1).Netns, l.Host(1).Addr, user, password)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.PingContext(ctx)
	}
	if err := connect("regent", "regent"); err != nil {
		t.Errorf("regent (CONNECTION ADMIN) at max_connections: %v", err)
	}
	var me *mysql.MySQLError
	if err := connect("noca", "noca"); !errors.As(err, &me) || me.Number != 1040 {
		t.Errorf("regent's grants without CONNECTION ADMIN at max_connections: %v, want error 1040", err)
	}
	obs.settle(held) // and the refused login left nothing behind
}

// connObserver is one privileged connection that reads the server's
// connection count.
type connObserver struct {
	ctx  context.Context
	t    *testing.T
	conn *sql.Conn
}

// connectionObserver takes the one connection of the lab's root pool of
// host 1 (over the socket; its other idle connections are closed, they
// would count).
func connectionObserver(ctx context.Context, t *testing.T, l *Lab) *connObserver {
	t.Helper()
	db, err := l.db(1)
	var conn *sql.Conn
	if err == nil {
		db.SetMaxOpenConns(1)
		conn, err = db.Conn(ctx)
	}
	if err != nil {
		t.Fatalf("observer connection: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &connObserver{ctx: ctx, t: t, conn: conn}
}

// settle waits until the server counts exactly want connections: the
// threads of closed or refused connections have ended.
func (o *connObserver) settle(want int) {
	o.t.Helper()
	var last string
	start := time.Now()
	for n := 0; time.Since(start) < 10*time.Second; n++ {
		err := o.conn.QueryRowContext(o.ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'").Scan(&last)
		if err != nil {
			o.t.Fatalf("read Threads_connected: %v", err)
		}
		if last == strconv.Itoa(want) {
			if n > 0 {
				o.t.Logf("Threads_connected reached %d after %v", want, time.Since(start).Round(time.Millisecond))
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	o.t.Fatalf("Threads_connected stays %s, want %d (connections this test does not own?)", last, want)
}
