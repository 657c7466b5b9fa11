package fleetsim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Protocol constants (MySQL client/server protocol).
const (
	comQuit   = 0x01
	comInitDB = 0x02
	comQuery  = 0x03
	comPing   = 0x0e

	capLongPassword    = 0x00000001
	capFoundRows       = 0x00000002
	capLongFlag        = 0x00000004
	capConnectWithDB   = 0x00000008
	capProtocol41      = 0x00000200
	capTransactions    = 0x00002000
	capSecureConn      = 0x00008000
	capMultiStatements = 0x00010000
	capMultiResults    = 0x00020000
	capPluginAuth      = 0x00080000

	serverCaps = capLongPassword | capFoundRows | capLongFlag | capConnectWithDB | capProtocol41 |
		capTransactions | capSecureConn | capMultiStatements | capMultiResults | capPluginAuth

	statusAutocommit  = 0x0002
	statusMoreResults = 0x0008

	typeVarString = 0xfd
	charsetUTF8   = 33

	maxPacket = 1<<24 - 1
)

// Error numbers the simulator answers with.
const (
	erParse             = 1064
	erUnknownSystemVar  = 1193
	erUnknownCommand    = 1047
	sqlStateSyntax      = "42000"
	sqlStateUnknownVar  = "HY000"
	sqlStateUnknownComm = "08S01"
)

// sqlError is an error packet's content.
type sqlError struct {
	code  uint16
	state string
	msg   string
	// invalid: the statement is not valid for the server's version (the
	// MySQL dialect); unsupported: the simulator does not model it.
	invalid, unsupported bool
}

func (e *sqlError) Error() string { return fmt.Sprintf("Error %d (%s): %s", e.code, e.state, e.msg) }

// writer builds the packets of one response in a buffer: begin/end frame
// one packet and number it.
type writer struct {
	buf   []byte
	seq   byte
	start int
}

func (w *writer) reset(seq byte) { w.buf, w.seq = w.buf[:0], seq }

func (w *writer) begin() {
	w.start = len(w.buf)
	w.buf = append(w.buf, 0, 0, 0, w.seq)
	w.seq++
}

func (w *writer) end() {
	n := len(w.buf) - w.start - 4
	w.buf[w.start], w.buf[w.start+1], w.buf[w.start+2] = byte(n), byte(n>>8), byte(n>>16)
}

// packet writes one packet holding payload.
func (w *writer) packet(payload []byte) {
	w.begin()
	w.buf = append(w.buf, payload...)
	w.end()
}

func (w *writer) lenenc(n uint64) { w.buf = appendLenenc(w.buf, n) }

// str writes a length-encoded string.
func (w *writer) str(s string) {
	w.buf = appendLenenc(w.buf, uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// int writes an integer as a length-encoded decimal string.
func (w *writer) int(n int64) {
	var tmp [24]byte
	b := strconv.AppendInt(tmp[:0], n, 10)
	w.buf = append(w.buf, byte(len(b)))
	w.buf = append(w.buf, b...)
}

// null writes a NULL column value.
func (w *writer) null() { w.buf = append(w.buf, 0xfb) }

func (w *writer) ok() {
	w.begin()
	w.buf = append(w.buf, 0x00, 0, 0, statusAutocommit, 0, 0, 0)
	w.end()
}

func (w *writer) eof(status uint16) {
	w.begin()
	w.buf = append(w.buf, 0xfe, 0, 0, byte(status), byte(status>>8))
	w.end()
}

func (w *writer) err(e *sqlError) {
	w.begin()
	w.buf = append(w.buf, 0xff, byte(e.code), byte(e.code>>8), '#')
	w.buf = append(w.buf, e.state...)
	w.buf = append(w.buf, e.msg...)
	w.end()
}

// columns writes a result set's header: the count, the definitions
// (pre-encoded payloads) and the EOF after them.
func (w *writer) columns(defs [][]byte) {
	w.begin()
	w.lenenc(uint64(len(defs)))
	w.end()
	for _, d := range defs {
		w.packet(d)
	}
	w.eof(statusAutocommit)
}

// endRows closes a result set; more says another one follows.
func (w *writer) endRows(more bool) {
	st := uint16(statusAutocommit)
	if more {
		st |= statusMoreResults
	}
	w.eof(st)
}

func appendLenenc(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xfe), n)
}

// columnDef encodes a column definition payload (protocol 4.1) of a
// VARCHAR column called name.
func columnDef(name string) []byte {
	b := appendLenstr(nil, "def")
	b = appendLenstr(b, "")
	b = appendLenstr(b, "")
	b = appendLenstr(b, "")
	b = appendLenstr(b, name)
	b = appendLenstr(b, name)
	b = append(b, 0x0c, charsetUTF8, 0, 0, 1, 0, 0, typeVarString, 0, 0, 0, 0, 0)
	return b
}

func columnDefs(names []string) [][]byte {
	defs := make([][]byte, len(names))
	for i, n := range names {
		defs[i] = columnDef(n)
	}
	return defs
}

func appendLenstr(b []byte, s string) []byte {
	b = appendLenenc(b, uint64(len(s)))
	return append(b, s...)
}

// handshake is the server's greeting (protocol v10).
func handshake(w *writer, version string, connID uint32) {
	w.reset(0)
	w.begin()
	w.buf = append(w.buf, 10)
	w.buf = append(w.buf, version...)
	w.buf = append(w.buf, 0)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, connID)
	w.buf = append(w.buf, "abcdefgh"...) // scramble part 1: auth is not checked
	caps := uint32(serverCaps)
	w.buf = append(w.buf, 0, byte(caps), byte(caps>>8), charsetUTF8, statusAutocommit, 0,
		byte(caps>>16), byte(caps>>24), 21)
	w.buf = append(w.buf, make([]byte, 10)...)
	w.buf = append(w.buf, "ijklmnopqrst"...)
	w.buf = append(w.buf, 0)
	w.buf = append(w.buf, "mysql_native_password"...)
	w.buf = append(w.buf, 0)
	w.end()
}

// readPacket reads one packet's payload into buf (reused) and returns it
// and its sequence number.
func readPacket(r *bufio.Reader, buf []byte) ([]byte, byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n == maxPacket {
		return nil, 0, errors.New("read packet: multi-packet payloads are not supported")
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, 0, fmt.Errorf("read packet: %w", err)
	}
	return buf, hdr[3], nil
}
