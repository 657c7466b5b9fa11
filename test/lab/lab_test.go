package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUpStatusDown: a flat lab replicates, and down leaves nothing behind.
func TestUpStatusDown(t *testing.T) {
	l := Up(t, Options{Hosts: 3, Controllers: 1})
	Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		return checkTopology(l.Status(), map[int]string{2: "198.18.0.1", 3: "198.18.0.1"})
	})
	out := l.must("status")
	if !strings.Contains(out, "198.18.0.1    Yes Yes") {
		t.Errorf("lab status does not show replication:\n%s", out)
	}
	var pids []int
	for i := 1; i <= 3; i++ {
		b, err := os.ReadFile(filepath.Join(l.Host(i).Dir, "mariadbd.pid"))
		if err != nil {
			t.Fatalf("read recorded pid of host %d: %v", i, err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		pids = append(pids, pid)
	}
	l.Down()
	netns, _ := exec.Command("ip", "netns", "list").CombinedOutput()
	for _, line := range strings.Split(string(netns), "\n") {
		if strings.HasPrefix(line, "rgt-") {
			t.Errorf("namespace left behind: %s", line)
		}
	}
	if err := exec.Command("ip", "link", "show", "rgtlab0").Run(); err == nil {
		t.Errorf("bridge rgtlab0 left behind")
	}
	for _, pid := range pids {
		if running(pid) {
			t.Errorf("mariadbd pid %d still runs after down", pid)
		}
	}
	if _, err := os.Stat(l.Dir()); !os.IsNotExist(err) {
		t.Errorf("state dir %s left behind (stat: %v)", l.Dir(), err)
	}
	if out, err := l.script("down"); err != nil {
		t.Errorf("second down failed: %v\n%s", err, out)
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
