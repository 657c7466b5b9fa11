package eventlog

import (
	"strings"
	"time"
)

// ackInfo is what the reader needs from a message's JetStream ack subject.
type ackInfo struct {
	seq     uint64    // stream sequence
	stored  time.Time // the stream's timestamp, as jetstream.MsgMetadata has it
	pending uint64    // messages still pending for the consumer after this one
}

// parseAck reads the ack subject a JetStream consumer gives each message,
// without allocating:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>
//	$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.<token>…]
//
// ok is false for any other subject; the caller then asks the message's
// Metadata, which knows every form.
func parseAck(reply string) (ackInfo, bool) {
	rest, found := strings.CutPrefix(reply, "$JS.ACK.")
	if !found {
		return ackInfo{}, false
	}
	first := 0 // index of <stream> among the tokens after $JS.ACK.
	switch n := strings.Count(rest, ".") + 1; {
	case n == 7:
	case n >= 9:
		first = 2
	default:
		return ackInfo{}, false
	}
	var tok [9]string
	for i := range first + 7 {
		tok[i], rest, _ = strings.Cut(rest, ".")
	}
	seq, ok1 := decimal(tok[first+3])
	tm, ok2 := decimal(tok[first+5])
	pending, ok3 := decimal(tok[first+6])
	if !ok1 || !ok2 || !ok3 {
		return ackInfo{}, false
	}
	return ackInfo{seq: seq, stored: time.Unix(0, int64(tm)), pending: pending}, true
}

// decimal parses a non-empty run of ASCII digits that fits a uint64.
func decimal(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
