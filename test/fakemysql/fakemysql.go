// Package fakemysql is a test server that speaks the first steps of the
// MySQL protocol: it greets like MariaDB, offering TLS (CLIENT_SSL), and
// records how the client logs in (inside TLS or in clear, and as which
// user), then refuses the login with error 1045. Tests use it to check
// that a Regent component's connections use the MySQLTopologySSL*
// settings: what a rogue server would see otherwise.
//
// A Server owns one accept goroutine and one per connection; Close stops
// them all and waits for them.
package fakemysql

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Login is what the server saw of one client's login.
type Login struct {
	TLS  bool   // the client switched to TLS before sending its credentials
	User string // the user name the client sent
}

// Server is a running fake.
type Server struct {
	ln     net.Listener
	tls    *tls.Config
	logins chan Login
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// Capability flags of the greeting.
const (
	clientLongPassword = 1 << 0
	clientProtocol41   = 1 << 9
	clientSSL          = 1 << 11
	clientTransactions = 1 << 13
	clientSecureConn   = 1 << 15
	clientPluginAuth   = 1 << 19
)

// Start listens on 127.0.0.1 (a free port) and serves until Close. tc is
// the server's TLS configuration (a certificate is enough).
func Start(tc *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, tls: tc, logins: make(chan Login, 64), conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Next returns the next login seen, or false after wait.
func (s *Server) Next(wait time.Duration) (Login, bool) {
	select {
	case l := <-s.logins:
		return l, true
	case <-time.After(wait):
		return Login{}, false
	}
}

// Close stops the listener and every connection, and waits for them.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { s.mu.Lock(); delete(s.conns, c); s.mu.Unlock(); _ = c.Close() }()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if l, err := s.serve(c); err == nil {
				s.logins <- l
			}
		}()
	}
}

// serve greets, reads the client's first packet, switches to TLS when the
// client asks, reads the login, and refuses it.
func (s *Server) serve(c net.Conn) (Login, error) {
	if err := writePacket(c, 0, greeting()); err != nil {
		return Login{}, err
	}
	seq, p, err := readPacket(c)
	if err != nil {
		return Login{}, err
	}
	var rw io.ReadWriter = c
	login := Login{}
	if len(p) >= 4 && binary.LittleEndian.Uint32(p)&clientSSL != 0 && len(p) == 32 {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			return Login{}, err
		}
		rw, login.TLS = tc, true
		if seq, p, err = readPacket(tc); err != nil {
			return Login{}, err
		}
	}
	if len(p) < 33 {
		return Login{}, errors.New("short login packet")
	}
	user, _, _ := bytes.Cut(p[32:], []byte{0})
	login.User = string(user)
	// ERR 1045 (28000) Access denied
	errPkt := append([]byte{0xff, 0x15, 0x04, '#'}, []byte("28000Access denied (fakemysql)")...)
	return login, writePacket(rw, seq+1, errPkt)
}

func greeting() []byte {
	caps := uint32(clientLongPassword | clientProtocol41 | clientSSL | clientTransactions | clientSecureConn | clientPluginAuth)
	var b bytes.Buffer
	b.WriteByte(10)
	b.WriteString("5.5.5-10.11.0-MariaDB-fake\x00")
	b.Write([]byte{1, 0, 0, 0})                         // connection id
	b.WriteString("abcdefgh")                           // auth data, part 1
	b.WriteByte(0)                                      // filler
	b.Write([]byte{byte(caps), byte(caps >> 8)})        // capabilities, low
	b.WriteByte(33)                                     // utf8_general_ci
	b.Write([]byte{2, 0})                               // status: autocommit
	b.Write([]byte{byte(caps >> 16), byte(caps >> 24)}) // capabilities, high
	b.WriteByte(21)                                     // auth data length
	b.Write(make([]byte, 10))                           // reserved
	b.WriteString("ijklmnopqrst\x00")                   // auth data, part 2
	b.WriteString("mysql_native_password\x00")
	return b.Bytes()
}

func writePacket(w io.Writer, seq byte, payload []byte) error {
	n := len(payload)
	_, err := w.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...))
	return err
}

func readPacket(r io.Reader) (byte, []byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, err
	}
	return h[3], p, nil
}
