package lab

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/sys/unix"
)

// inNetns runs fn on an OS thread switched into the named network namespace
// (/run/netns/<ns>). Sockets fn creates belong to that namespace for their
// whole life. fn runs on its own goroutine, waited for here; if switching the
// thread back fails, the thread stays locked and dies with the goroutine.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err, restored := inNetnsLocked(ns, fn)
		if restored {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

func inNetnsLocked(ns string, fn func() error) (err error, restored bool) {
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return fmt.Errorf("open own netns: %w", err), true
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", ns, err), true
	}
	defer target.Close()
	if err := setns(target); err != nil {
		return fmt.Errorf("enter netns %s: %w", ns, err), true
	}
	fnErr := fn()
	if err := setns(orig); err != nil {
		return fmt.Errorf("leave netns %s: %w", ns, err), false
	}
	return fnErr, true
}

func setns(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }

// DialFrom opens a TCP connection to addr from inside network namespace ns
// (e.g. "rgt-c1"), as a process running there would.
func DialFrom(ctx context.Context, ns, addr string) (net.Conn, error) {
	var conn net.Conn
	err := inNetns(ns, func() error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		conn = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s from %s: %w", addr, ns, err)
	}
	return conn, nil
}

// OpenFrom returns a database handle whose connections are dialled from inside
// namespace ns to addr over TCP with the given user. The caller closes it.
func OpenFrom(ns, addr, user, password string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = user, password
	cfg.Net, cfg.Addr = "tcp", addr
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	cfg.Logger = quietLogger{} // dead servers are expected here; errors are returned
	cfg.DialFunc = func(ctx context.Context, _, a string) (net.Conn, error) {
		return DialFrom(ctx, ns, a)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("build connector for %s: %w", addr, err)
	}
	return sql.OpenDB(connector), nil
}

// hasAddr reports whether interface eth0 in namespace ns carries ip.
func hasAddr(ns string, ip net.IP) (bool, error) {
	found := false
	err := inNetns(ns, func() error {
		ifc, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				found = true
			}
		}
		return nil
	})
	return found, err
}
