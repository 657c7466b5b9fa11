package fleetsim

import (
	"bufio"
	"net"
	"time"
)

// connBuffer sizes each connection's read buffer: queries are small.
const connBuffer = 4096

// serve speaks the protocol on one connection until it closes.
func (f *Fleet) serve(in *instance, c net.Conn) {
	var w writer
	handshake(&w, f.opts.Version, f.connID.Add(1))
	if _, err := c.Write(w.buf); err != nil {
		return
	}
	r := bufio.NewReaderSize(c, connBuffer)
	buf := make([]byte, 0, 512)
	// Handshake response: any user and password are accepted.
	pkt, seq, err := readPacket(r, buf)
	if err != nil {
		return
	}
	buf = pkt[:0]
	sess := &session{gtidNext: "AUTOMATIC"}
	w.reset(seq + 1)
	w.ok()
	if _, err := c.Write(w.buf); err != nil {
		return
	}
	for {
		pkt, _, err := readPacket(r, buf)
		if err != nil || len(pkt) == 0 {
			return
		}
		buf = pkt[:0]
		w.reset(1)
		switch pkt[0] {
		case comQuit:
			return
		case comPing, comInitDB:
			w.ok()
		case comQuery:
			if f.my != nil {
				f.answerMySQL(&w, in, sess, string(pkt[1:]))
			} else {
				f.answer(&w, in, string(pkt[1:]), time.Now())
			}
		default:
			w.err(&sqlError{code: erUnknownCommand, state: sqlStateUnknownComm, msg: "Unknown command"})
		}
		if _, err := c.Write(w.buf); err != nil {
			return
		}
	}
}

// answer writes the response to a query: one result set per statement of
// a multi-statement query, stopping at the first error.
func (f *Fleet) answer(w *writer, in *instance, query string, now time.Time) {
	p := f.plans.get(query)
	st := f.state(in, now)
	for i, s := range p.stmts {
		f.queries.Add(1)
		if s.err != nil {
			w.err(s.err)
			return
		}
		more := i < len(p.stmts)-1
		if s.rows == nil { // a statement without a result set
			w.begin()
			st := uint16(statusAutocommit)
			if more {
				st |= statusMoreResults
			}
			w.buf = append(w.buf, 0x00, 0, 0, byte(st), byte(st>>8), 0, 0)
			w.end()
			continue
		}
		w.columns(s.defs)
		s.rows(w, &st)
		w.endRows(more)
	}
}
