package events

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names that reach Regent from outside (the API, what servers report about
// themselves and their neighbours, the event log) are checked here, once,
// before they are probed, stored or used in a subject.
//
// A host name is 1 to MaxHostLen bytes of ASCII letters, digits, '-', '.'
// and '_' (MySQL's report_host and container names use '_'), not starting
// with '-' or '.', without an empty label (".."); or an IPv6 literal
// without brackets ("fe80::1", "fe80::1%eth0"), as orchestrator stores it.
// Everything else is refused with a reason: spaces, control characters,
// bidi and other format characters, non-ASCII letters (write the punycode
// form), '/', ':' outside an IPv6 literal, brackets. A port is 1 to 65535.

// MaxHostLen is the longest host name accepted: DNS's limit.
const MaxHostLen = 253

// MaxTextLen bounds the free-text labels servers report (Detect* query
// answers: aliases, data center, region).
const MaxTextLen = 255

// MaxSubjectLen bounds the subject of a message Regent publishes. NATS
// closes a connection whose protocol line exceeds max_control_line (4096
// bytes by default, subject and reply inbox included); Regent's subjects
// stay below this one for every valid name (three escaped 253-byte names
// and ports: 2,308 bytes), leaving room for the reply inbox and sizes.
const MaxSubjectLen = 3072

// ErrInvalidName is wrapped by every error of ValidHost, ValidPort,
// InstanceKey.Validate, ValidText and CheckSubject.
var ErrInvalidName = errors.New("invalid name")

// ValidHost reports why h is not an acceptable host name, or nil.
func ValidHost(h string) error {
	if err := validHost(h); err != nil {
		return fmt.Errorf("%w: host %s: %s", ErrInvalidName, Quote(h), err)
	}
	return nil
}

func validHost(h string) error {
	switch {
	case h == "":
		return errors.New("empty")
	case len(h) > MaxHostLen:
		return fmt.Errorf("%d bytes, longer than %d", len(h), MaxHostLen)
	}
	for i := 0; i < len(h); i++ {
		if hostByte(h[i]) {
			continue
		}
		// Not a plain host name: say why, or accept an IPv6 literal.
		if err := badRune(h); err != nil {
			return err
		}
		if strings.Contains(h, ":") {
			return validIPv6(h)
		}
		return fmt.Errorf("character %q not allowed (letters, digits, '-', '.', '_'; IPv6 without brackets)", h[i])
	}
	switch {
	case h[0] == '-' || h[0] == '.':
		return fmt.Errorf("starts with %q", h[0])
	case strings.Contains(h, ".."):
		return errors.New("empty label (\"..\")")
	}
	return nil
}

func hostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
}

// validIPv6 accepts an IPv6 literal without brackets, with an optional
// zone of host characters.
func validIPv6(h string) error {
	a, err := netip.ParseAddr(h)
	if err != nil || !a.Is6() {
		return errors.New("':' outside an IPv6 literal (IPv6 is written without brackets)")
	}
	for i := 0; i < len(a.Zone()); i++ {
		if !hostByte(a.Zone()[i]) {
			return fmt.Errorf("character %q not allowed in an IPv6 zone", a.Zone()[i])
		}
	}
	return nil
}

// badRune names the first character no name may hold: invalid UTF-8,
// control characters, spaces, bidi and other format characters, and (in
// host names, which are ASCII) anything beyond ASCII.
func badRune(s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Errorf("invalid UTF-8 at byte %d", i)
		case unicode.IsControl(r):
			return fmt.Errorf("control character %U at byte %d", r, i)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("format (bidi or invisible) character %U at byte %d", r, i)
		case unicode.IsSpace(r):
			return fmt.Errorf("space %U at byte %d", r, i)
		case r >= utf8.RuneSelf:
			return fmt.Errorf("non-ASCII character %U at byte %d (write the punycode form)", r, i)
		}
	}
	return nil
}

// ValidPort reports why p is not a TCP port (1–65535), or nil.
func ValidPort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%w: port %d: want 1-65535", ErrInvalidName, p)
	}
	return nil
}

// ParsePort reads a decimal port (1–65535).
func ParsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || len(s) > 5 || !isDigits(s) {
		return 0, fmt.Errorf("%w: port %s: want a number 1-65535", ErrInvalidName, Quote(s))
	}
	if err := ValidPort(p); err != nil {
		return 0, err
	}
	return p, nil
}

// Validate reports why k does not name an instance, or nil.
func (k InstanceKey) Validate() error {
	if err := ValidHost(k.Hostname); err != nil {
		return err
	}
	return ValidPort(k.Port)
}

// ValidText reports why s is not an acceptable label (at most maxLen bytes
// of valid UTF-8 without control, format or bidi characters), or nil.
// Spaces and non-ASCII letters are allowed.
func ValidText(s string, maxLen int) error {
	if len(s) > maxLen {
		return fmt.Errorf("%w: %s: %d bytes, longer than %d", ErrInvalidName, Quote(s), len(s), maxLen)
	}
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Errorf("%w: %s: invalid UTF-8 at byte %d", ErrInvalidName, Quote(s), i)
		case unicode.IsControl(r):
			return fmt.Errorf("%w: %s: control character %U at byte %d", ErrInvalidName, Quote(s), r, i)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("%w: %s: format (bidi or invisible) character %U at byte %d", ErrInvalidName, Quote(s), r, i)
		}
	}
	return nil
}

// CheckSubject reports why Regent must not publish on subj, or nil: it is
// longer than MaxSubjectLen.
func CheckSubject(subj string) error {
	if len(subj) > MaxSubjectLen {
		return fmt.Errorf("%w: subject of %d bytes is longer than %d", ErrInvalidName, len(subj), MaxSubjectLen)
	}
	return nil
}

// quoteMax is how much of a refused value an error message shows.
const quoteMax = 64

// Quote quotes s for an error message: Go-escaped (control and bidi
// characters show as \u escapes, never raw) and cut to its first 64 bytes,
// with its length, when longer.
func Quote(s string) string {
	if len(s) <= quoteMax {
		return strconv.QuoteToASCII(s)
	}
	cut := quoteMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.QuoteToASCII(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
