package events

import (
	"encoding/binary"
	"unicode/utf8"
)

// scanner is a strict reader for the JSON this package writes, used by the
// fast decoding paths of Unmarshal. It understands a subset of JSON: strings
// without escapes, integers written in canonical form, and known keys each
// at most once. On anything else it gives up (ok becomes false) and the
// caller decodes with encoding/json instead, so an input the scanner accepts
// decodes exactly as encoding/json decodes it, and an input encoding/json
// rejects is never accepted.
//
// b and s hold the same bytes: values are read from b, strings are taken as
// substrings of s (one allocation for every string of a message).
type scanner struct {
	b  []byte
	s  string
	i  int
	ok bool
}

// maxSkipDepth bounds the nesting skip follows before it gives up.
const maxSkipDepth = 64

func newScanner(b []byte, s string) scanner { return scanner{b: b, s: s, ok: true} }

func (sc *scanner) fail() bool { sc.ok = false; return false }

// ws skips JSON whitespace.
func (sc *scanner) ws() {
	i := sc.i
	for i < len(sc.b) && (sc.b[i] == ' ' || sc.b[i] == '\t' || sc.b[i] == '\n' || sc.b[i] == '\r') {
		i++
	}
	sc.i = i
}

// peek returns the next non-space byte (0 at the end).
func (sc *scanner) peek() byte {
	sc.ws()
	if sc.i >= len(sc.b) {
		return 0
	}
	return sc.b[sc.i]
}

// eat consumes c after optional whitespace.
func (sc *scanner) eat(c byte) bool {
	if sc.peek() != c {
		return sc.fail()
	}
	sc.i++
	return true
}

// end reports whether only whitespace is left.
func (sc *scanner) end() bool {
	sc.ws()
	return sc.ok && sc.i == len(sc.b)
}

// object reads an object's members, calling member with each key (the
// scanner then stands before the value, which member must read). member
// must refuse every key but its known names, which are plain ASCII: a key
// with an escape or a control character is then refused without a check.
func (sc *scanner) object(member func(key string) bool) bool {
	return sc.members(member, false)
}

// members reads an object; with anyKey every valid key is taken, and
// member is called with an empty key.
func (sc *scanner) members(member func(key string) bool, anyKey bool) bool {
	if !sc.eat('{') {
		return false
	}
	if sc.peek() == '}' {
		sc.i++
		return true
	}
	for {
		var k string
		ok := sc.peek() == '"'
		if ok && anyKey {
			ok = sc.skipString()
		} else if ok {
			k, ok = sc.rawKey()
		}
		if !ok || !sc.eat(':') || !member(k) {
			return sc.fail()
		}
		switch sc.peek() {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return true
		default:
			return sc.fail()
		}
	}
}

// rawKey reads a key up to its closing quote (see object).
func (sc *scanner) rawKey() (string, bool) {
	b, start := sc.b, sc.i+1 // after the opening quote
	for end := start; end < len(b); end++ {
		if b[end] == '"' { // keys are short: a plain loop beats IndexByte
			sc.i = end + 1
			return sc.s[start:end], true
		}
	}
	return "", sc.fail()
}

// strSpan reads a string without escapes and returns its content's bounds.
func (sc *scanner) strSpan() (int, int, bool) {
	if !sc.eat('"') {
		return 0, 0, false
	}
	b, start := sc.b, sc.i
	end := start
	for end+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[end:])) {
		end += 8
	}
	ascii := true
	for ; end < len(b); end++ {
		c := b[end]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(b[start:end]) {
				return 0, 0, sc.fail() // encoding/json would replace the bad bytes
			}
			sc.i = end + 1
			return start, end, true
		case c < 0x20 || c == '\\':
			return 0, 0, sc.fail()
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, 0, sc.fail()
}

// special8 reports whether any of the 8 bytes in w is a quote, a
// backslash, a control character or not ASCII (the string scan then goes
// byte by byte).
func special8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	return (hasZero(w^(ones*'"')) | hasZero(w^(ones*'\\')) | (w-ones*0x20)&^w&highs | w&highs) != 0
}

// str reads a string without escapes.
func (sc *scanner) str() (string, bool) {
	start, end, ok := sc.strSpan()
	if !ok {
		return "", false
	}
	return sc.s[start:end], true
}

// digits reads a run of decimal digits in canonical form (no leading zero)
// that ends the number, and returns its bounds.
func (sc *scanner) digits() (int, int, bool) {
	b, start := sc.b, sc.i
	end := start
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	sc.i = end
	switch {
	case end == start, end-start > 1 && sc.b[start] == '0':
		return 0, 0, sc.fail()
	case end < len(sc.b) && (sc.b[end] == '.' || sc.b[end] == 'e' || sc.b[end] == 'E'):
		return 0, 0, sc.fail() // not an integer: encoding/json's error to give
	}
	return start, end, true
}

// uint reads a non-negative integer not above limit.
func (sc *scanner) uint(limit uint64) (uint64, bool) {
	sc.ws()
	start, end, ok := sc.digits()
	if !ok || end-start > 20 {
		return 0, sc.fail()
	}
	var n uint64
	for _, c := range sc.b[start:end] {
		d := uint64(c - '0')
		if n > (limit-d)/10 {
			return 0, sc.fail()
		}
		n = n*10 + d
	}
	return n, true
}

// int reads an integer that fits an int64 ("-0" is left to encoding/json).
func (sc *scanner) int() (int64, bool) {
	neg := sc.peek() == '-'
	if neg {
		sc.i++
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	n, ok := sc.uint(limit)
	switch {
	case !ok || (neg && n == 0):
		return 0, sc.fail()
	case neg:
		return -int64(n-1) - 1, true
	}
	return int64(n), true
}

// skip reads any JSON value, checking it as encoding/json's scanner does,
// and returns its bounds.
func (sc *scanner) skip() (int, int, bool) {
	sc.ws()
	start := sc.i
	if !sc.skipValue(0) {
		return 0, 0, false
	}
	return start, sc.i, true
}

func (sc *scanner) skipValue(depth int) bool {
	if depth > maxSkipDepth {
		return sc.fail()
	}
	switch sc.peek() {
	case '{':
		return sc.members(func(string) bool { return sc.skipValue(depth + 1) }, true)
	case '[':
		return sc.skipArray(depth)
	case '"':
		return sc.skipString()
	case 't':
		return sc.word("true")
	case 'f':
		return sc.word("false")
	case 'n':
		return sc.word("null")
	}
	return sc.skipNumber()
}

func (sc *scanner) skipArray(depth int) bool {
	sc.i++ // '['
	if sc.peek() == ']' {
		sc.i++
		return true
	}
	for {
		if !sc.skipValue(depth + 1) {
			return false
		}
		switch sc.peek() {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return true
		default:
			return sc.fail()
		}
	}
}

// skipString reads a string, escapes included; any escape JSON allows.
func (sc *scanner) skipString() bool {
	sc.i++ // '"'
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		sc.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return sc.fail()
		case c == '\\':
			if !sc.skipEscape() {
				return false
			}
		}
	}
	return sc.fail()
}

func (sc *scanner) skipEscape() bool {
	if sc.i >= len(sc.b) {
		return sc.fail()
	}
	c := sc.b[sc.i]
	sc.i++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		for range 4 {
			if sc.i >= len(sc.b) || !isHex(sc.b[sc.i]) {
				return sc.fail()
			}
			sc.i++
		}
		return true
	}
	return sc.fail()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (sc *scanner) word(w string) bool {
	if len(sc.b)-sc.i < len(w) || sc.s[sc.i:sc.i+len(w)] != w {
		return sc.fail()
	}
	sc.i += len(w)
	return true
}

// skipNumber reads a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *scanner) skipNumber() bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == '-' {
		sc.i++
	}
	switch {
	case sc.i < len(sc.b) && sc.b[sc.i] == '0':
		sc.i++
	case sc.i < len(sc.b) && sc.b[sc.i] >= '1' && sc.b[sc.i] <= '9':
		sc.run()
	default:
		return sc.fail()
	}
	if sc.i < len(sc.b) && sc.b[sc.i] == '.' {
		sc.i++
		if !sc.run() {
			return sc.fail()
		}
	}
	if sc.i < len(sc.b) && (sc.b[sc.i] == 'e' || sc.b[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.b) && (sc.b[sc.i] == '+' || sc.b[sc.i] == '-') {
			sc.i++
		}
		if !sc.run() {
			return sc.fail()
		}
	}
	return true
}

// run reads one or more digits.
func (sc *scanner) run() bool {
	start := sc.i
	for sc.i < len(sc.b) && sc.b[sc.i] >= '0' && sc.b[sc.i] <= '9' {
		sc.i++
	}
	return sc.i > start
}
