package fakemysql

import (
	"crypto/tls"
	"net"
	"strconv"
	"testing"
)

// StartTLS starts a Server offering TLS with cert, closed when the test
// ends, and returns it with its host and port.
func StartTLS(t testing.TB, cert tls.Certificate) (*Server, string, int) {
	t.Helper()
	s, err := Start(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("fakemysql: %v", err)
	}
	t.Cleanup(s.Close)
	host, ps, err := net.SplitHostPort(s.Addr())
	if err != nil {
		t.Fatalf("fakemysql: address %s: %v", s.Addr(), err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		t.Fatalf("fakemysql: port %s: %v", ps, err)
	}
	return s, host, port
}
