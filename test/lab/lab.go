package lab

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of scripts/lab; docs/lab.md documents them.
const (
	DefaultDir    = "/tmp/regent-lab"
	DefaultPrefix = "rgt"
	Net           = "198.18.0"
	VIP           = Net + ".200"
	VIPAddr       = VIP + ":3306"
	lockWait      = 15 * time.Minute
	scriptTimeout = 2 * time.Minute
)

// Options choose the lab's shape.
type Options struct {
	Hosts       int  // MariaDB hosts; 0 means 3
	Chained     bool // host 3 replicates from host 2
	Controllers int  // controller namespaces c1..cK (0–3)
}

// Host names one MariaDB host of the lab.
type Host struct {
	Index  int
	IP     string // 198.18.0.i
	Addr   string // 198.18.0.i:3306
	Netns  string // rgt-hi
	Socket string // the server's unix socket (root, no password)
	Dir    string // the host's state directory
}

// Lab is a running lab owned by one test.
type Lab struct {
	t      testing.TB
	root   string // repository root
	dir    string // LAB_DIR
	prefix string // LAB_PREFIX
	opts   Options

	upTook time.Duration // how long scripts/lab up took

	mu   sync.Mutex
	dbs  map[int]*sql.DB // root over each host's socket
	down sync.Once
}

// Up brings a lab up with scripts/lab and registers its teardown (which also
// runs when the test fails). It fails the test with a clear message when the
// lab cannot be built. A stale lab left by a killed test run is torn down
// first.
func Up(t testing.TB, o Options) *Lab {
	t.Helper()
	if o.Hosts == 0 {
		o.Hosts = 3
	}
	if err := checkPrereqs(); err != nil {
		t.Fatalf("lab: cannot build the lab: %v", err)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	l := &Lab{t: t, root: root, dir: envOr("LAB_DIR", DefaultDir),
		prefix: envOr("LAB_PREFIX", DefaultPrefix), opts: o, dbs: map[int]*sql.DB{}}
	lock, err := acquireLock(l.dir+".lock", lockWait)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	t.Cleanup(func() { l.teardown(); lock.release() })
	if _, err := os.Stat(filepath.Join(l.dir, "lab.env")); err == nil {
		t.Logf("lab: tearing down a stale lab in %s", l.dir)
		if out, err := l.script("down"); err != nil {
			t.Fatalf("lab: down stale lab: %v\n%s", err, out)
		}
	}
	args := []string{"up", strconv.Itoa(o.Hosts), "--controllers", strconv.Itoa(o.Controllers)}
	if o.Chained {
		args = append(args, "--chained")
	}
	start := time.Now()
	out, err := l.script(args...)
	if err != nil {
		t.Fatalf("lab: scripts/lab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	l.upTook = time.Since(start)
	t.Logf("lab: up %d hosts, %d controllers in %v", o.Hosts, o.Controllers, l.upTook.Round(time.Millisecond))
	return l
}

// UpTook is how long `scripts/lab up` took for this lab.
func (l *Lab) UpTook() time.Duration { return l.upTook }

// TemplateCached reports whether scripts/lab has an initialised datadir
// template for some server version in its cache ($LAB_CACHE), so `up`
// copies it instead of running mariadb-install-db.
func TemplateCached() bool {
	ready, _ := filepath.Glob(filepath.Join(envOr("LAB_CACHE", "/tmp/regent-lab-cache"), "template-*", ".ready"))
	return len(ready) > 0
}

func checkPrereqs() error {
	if os.Geteuid() != 0 {
		return errors.New("lab tests need root (namespaces, bridge, mariadbd); run them as root")
	}
	for _, bin := range []string{"mariadbd", "mariadb", "mariadb-install-db", "ip", "flock"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, serr := os.Stat("/usr/sbin/" + bin); serr != nil {
				return fmt.Errorf("%s not found (MariaDB 10.11 and iproute2 missing?): run scripts/install-deps as root", bin)
			}
		}
	}
	return nil
}

// repoRoot walks up from the working directory to the directory with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "lab")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod with scripts/lab above the working directory")
		}
		dir = parent
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Down tears the lab down now (the registered teardown then does nothing).
func (l *Lab) Down() { l.teardown() }

// teardown logs the lab's state when the test failed, then runs down, once.
func (l *Lab) teardown() { l.down.Do(l.teardownOnce) }

func (l *Lab) teardownOnce() {
	l.mu.Lock()
	for _, db := range l.dbs {
		_ = db.Close()
	}
	l.dbs = map[int]*sql.DB{}
	l.mu.Unlock()
	if l.t.Failed() {
		if out, err := l.script("status"); err == nil {
			l.t.Logf("lab status at failure:\n%s", out)
		}
		for i := 1; i <= l.opts.Hosts; i++ {
			l.t.Logf("host %d error log (tail):\n%s", i, tailFile(filepath.Join(l.Host(i).Dir, "error.log"), 15))
		}
	}
	if out, err := l.script("down"); err != nil {
		l.t.Errorf("lab: down: %v\n%s", err, out)
	}
}

// script runs scripts/lab with args (bounded) and returns its combined output.
func (l *Lab) script(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(l.root, "scripts", "lab")}, args...)...)
	cmd.Env = append(os.Environ(), "LAB_DIR="+l.dir, "LAB_PREFIX="+l.prefix)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("run lab %s: %w", args[0], err)
	}
	return out.String(), nil
}

// must runs a lab command and fails the test if it fails.
func (l *Lab) must(args ...string) string {
	l.t.Helper()
	out, err := l.script(args...)
	if err != nil {
		l.t.Fatalf("lab: scripts/lab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Dir is the lab's state directory (removed by the teardown).
func (l *Lab) Dir() string { return l.dir }

// Root is the repository root.
func (l *Lab) Root() string { return l.root }

// Hosts is the number of MariaDB hosts.
func (l *Lab) Hosts() int { return l.opts.Hosts }

// Host describes host i (1-based).
func (l *Lab) Host(i int) Host {
	ip := fmt.Sprintf("%s.%d", Net, i)
	dir := filepath.Join(l.dir, fmt.Sprintf("h%d", i))
	return Host{Index: i, IP: ip, Addr: ip + ":3306", Netns: fmt.Sprintf("%s-h%d", l.prefix, i),
		Socket: filepath.Join(dir, "mariadbd.sock"), Dir: dir}
}

// Controller returns controller k's namespace and address (k in 1..3).
func (l *Lab) Controller(k int) (netns, ip string) {
	return fmt.Sprintf("%s-c%d", l.prefix, k), fmt.Sprintf("%s.%d", Net, 100+k)
}

// Kill sends SIGKILL to host i's mariadbd.
func (l *Lab) Kill(i int) { l.t.Helper(); l.must("kill", strconv.Itoa(i)) }

// Stop shuts host i's mariadbd down cleanly; Start starts it again.
func (l *Lab) Stop(i int) { l.t.Helper(); l.must("stop", strconv.Itoa(i)) }

// Start starts host i's mariadbd and waits until it answers.
func (l *Lab) Start(i int) { l.t.Helper(); l.must("start", strconv.Itoa(i)) }

// Pause freezes host i's mariadbd (SIGSTOP); Resume thaws it.
func (l *Lab) Pause(i int) { l.t.Helper(); l.must("pause", strconv.Itoa(i)) }

// Resume thaws host i's mariadbd (SIGCONT).
func (l *Lab) Resume(i int) { l.t.Helper(); l.must("resume", strconv.Itoa(i)) }

// Partition cuts host i off from everyone; Heal restores it.
func (l *Lab) Partition(i int) { l.t.Helper(); l.must("partition", strconv.Itoa(i)) }

// Heal reconnects a partitioned host.
func (l *Lab) Heal(i int) { l.t.Helper(); l.must("heal", strconv.Itoa(i)) }

// Cut drops all traffic between a and b only ("1".."N" or "c1".."c3").
func (l *Lab) Cut(a, b string) { l.t.Helper(); l.must("cut", a, b) }

// Uncut restores traffic between a and b.
func (l *Lab) Uncut(a, b string) { l.t.Helper(); l.must("uncut", a, b) }

// VIPAdd puts the VIP on host i; VIPDel removes it.
func (l *Lab) VIPAdd(i int) { l.t.Helper(); l.must("vip-add", strconv.Itoa(i)) }

// VIPDel removes the VIP from host i.
func (l *Lab) VIPDel(i int) { l.t.Helper(); l.must("vip-del", strconv.Itoa(i)) }

// VIPWhere lists the hosts that carry the VIP.
func (l *Lab) VIPWhere() []int {
	l.t.Helper()
	var holders []int
	for i := 1; i <= l.opts.Hosts; i++ {
		ok, err := hasAddr(l.Host(i).Netns, netIP(VIP))
		if err != nil {
			l.t.Fatalf("lab: read VIP on host %d: %v", i, err)
		}
		if ok {
			holders = append(holders, i)
		}
	}
	return holders
}

// Partitioned reports whether host i was partitioned with Partition.
func (l *Lab) Partitioned(i int) bool {
	_, err := os.Stat(filepath.Join(l.Host(i).Dir, "partitioned"))
	return err == nil
}

// db returns the pooled root connection over host i's socket.
func (l *Lab) db(i int) (*sql.DB, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if db, ok := l.dbs[i]; ok {
		return db, nil
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", l.Host(i).Socket
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	cfg.Logger = quietLogger{} // dead servers are expected here; errors are returned
	cfg.MultiStatements = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("build connector for host %d: %w", i, err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(2)
	db.SetConnMaxLifetime(time.Minute)
	l.dbs[i] = db
	return db, nil
}

// SQL runs query (one or more statements) on host i as root over its socket
// and returns the first result set's rows as strings (NULL as "NULL").
func (l *Lab) SQL(i int, query string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.sqlCtx(ctx, i, query)
}

func (l *Lab) sqlCtx(ctx context.Context, i int, query string) ([][]string, error) {
	db, err := l.db(i)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("query host %d: %w", i, err)
	}
	defer rows.Close()
	out, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("read host %d: %w", i, err)
	}
	for rows.NextResultSet() {
		for rows.Next() {
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read host %d: %w", i, err)
	}
	return out, nil
}

func scanAll(rows *sql.Rows) ([][]string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for k := range vals {
			ptrs[k] = &vals[k]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for k, v := range vals {
			row[k] = "NULL"
			if v.Valid {
				row[k] = v.String
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// MustSQL is SQL that fails the test on error.
func (l *Lab) MustSQL(i int, query string) [][]string {
	l.t.Helper()
	rows, err := l.SQL(i, query)
	if err != nil {
		l.t.Fatalf("lab: %v", err)
	}
	return rows
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// SemiSyncOn are the settings EnableSemiSync applies to each host (a
// restarted mariadbd forgets them: apply them again before it replicates).
// Both sides are on everywhere, so whichever host is promoted waits for its
// replicas' acknowledgements at once; rpl_semi_sync_master_wait_no_slave=OFF
// keeps a host without semi-sync replicas (a replica, or a primary whose
// replicas all died) from waiting the full timeout on every commit —
// including the replication applier's commits on a replica, which MariaDB
// otherwise stalls for rpl_semi_sync_master_timeout each.
const SemiSyncOn = "SET GLOBAL rpl_semi_sync_master_timeout = 10000; SET GLOBAL rpl_semi_sync_master_wait_no_slave = OFF; " +
	"SET GLOBAL rpl_semi_sync_master_enabled = ON; SET GLOBAL rpl_semi_sync_slave_enabled = ON"

// EnableSemiSync turns on semi-synchronous replication (timeout 10 s) on
// every host, both sides (SemiSyncOn): the primary waits for a replica's
// acknowledgement, and whichever replica is promoted later does the same
// for the others. It waits until every replica of host 1 acknowledges: an acknowledged write is
// then on at least one replica, so a failover that promotes the most
// advanced replica loses none.
func (l *Lab) EnableSemiSync() {
	l.t.Helper()
	for i := 1; i <= l.opts.Hosts; i++ {
		l.MustSQL(i, SemiSyncOn)
		if i > 1 {
			l.MustSQL(i, "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD")
		}
	}
	want := strconv.Itoa(l.opts.Hosts - 1)
	Eventually(l.t, 5*time.Second, 50*time.Millisecond, func() error {
		rows, err := l.SQL(1, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")
		if err == nil && (len(rows) != 1 || rows[0][1] != want) {
			err = fmt.Errorf("semi-sync clients: %v", rows)
		}
		return err
	})
}
