package mysqlconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestPools: one bounded pool per server, the same on each Get, a new one
// after Forget, none after Close.
func TestPools(t *testing.T) {
	d, err := New(Options{User: "u", ConnectionLifetime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	adjusted := 0
	ps := d.NewPools(PoolOptions{MaxOpen: 3, Adjust: func(c *Config) { adjusted++; c.MultiStatements = true }})
	a, err := ps.Get("h1", 3306)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := ps.Get("h1", 3306)
	b, _ := ps.Get("h1", 3307)
	if a != a2 || a == b || ps.Open() != 2 || adjusted != 2 {
		t.Fatalf("pools %p %p %p open %d adjusted %d", a, a2, b, ps.Open(), adjusted)
	}
	if n := a.DB.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("max open %d, want 3", n)
	}
	ps.Forget("h1", 3306)
	if err := a.DB.Ping(); err == nil || ps.Open() != 1 {
		t.Errorf("forgotten pool still usable (%v) or still listed (%d)", err, ps.Open())
	}
	if c, _ := ps.Get("h1", 3306); c == a {
		t.Error("Get after Forget returned the closed pool")
	}
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Get("h1", 3306); !errors.Is(err, ErrClosed) || ps.Open() != 0 {
		t.Errorf("Get after Close: %v, %d open", err, ps.Open())
	}
	if d.lifetime() != time.Minute {
		t.Errorf("lifetime %v", d.lifetime())
	}
	if d0, _ := New(Options{}); d0.lifetime() != DefaultConnectionLifetime {
		t.Errorf("default lifetime %v", d0.lifetime())
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want Kind
	}{
		{nil, KindUnknown},
		{context.DeadlineExceeded, KindTimeout},
		{fmt.Errorf("x: %w", context.Canceled), KindCanceled},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, KindRefused},
		{syscall.EHOSTUNREACH, KindRefused},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, KindConnectionLost},
		{mysql.ErrInvalidConn, KindConnectionLost},
		{io.ErrUnexpectedEOF, KindConnectionLost},
		{&mysql.MySQLError{Number: ErAccessDenied}, KindAuth},
		{&mysql.MySQLError{Number: ErSpecificAccessDenied}, KindPrivilege},
		{&mysql.MySQLError{Number: ErLockWaitTimeout}, KindBusy},
		{&mysql.MySQLError{Number: ErServerShutdown}, KindBusy},
		{&mysql.MySQLError{Number: ErSlaveMustStop}, KindState},
		{&mysql.MySQLError{Number: ErReadOnly}, KindState},
		{&mysql.MySQLError{Number: ErParse}, KindServer},
		{errors.New("something"), KindUnknown},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
	e := fmt.Errorf("set: %w", &mysql.MySQLError{Number: ErSpecificAccessDenied,
		Message: "Access denied; you need (at least one of) the READ_ONLY ADMIN privilege(s) for this operation"})
	if p := MissingPrivilege(e); p != "READ_ONLY ADMIN" {
		t.Errorf("privilege %q", p)
	}
	if n, ok := ErrorNumber(e); !ok || n != ErSpecificAccessDenied {
		t.Errorf("number %d %v", n, ok)
	}
	if KindServer.String() != "server" || Kind(42).String() != "kind-42" {
		t.Errorf("names %s %s", KindServer, Kind(42))
	}
}
