package shell

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedContext is returned by Expand when a known placeholder stands
// where its value cannot be quoted safely (a here-document body, a ${…}
// parameter expansion, arithmetic with a non-integer value, or after a
// construct the lexer cannot follow).
var ErrUnsupportedContext = errors.New("placeholder in an unsupported shell context")

// frameKind is a quoting context of the lexer.
type frameKind int

const (
	frTop    frameKind = iota // unquoted, top level
	frCmdSub                  // unquoted, inside $( … )
	frDouble                  // inside " … "
	frSingle                  // inside ' … '
	frANSI                    // inside $' … ' (bash)
	frParam                   // inside ${ … }
	frArith                   // inside $(( … )), (( … )) or $[ … ]
)

type frame struct {
	kind    frameKind
	depth   int    // nested ( in frCmdSub/frArith, nested { in frParam
	closer  string // frArith: "))" or "]"
	command bool   // frArith: a (( … )) command, after which a word starts
}

// expander substitutes placeholders in one command string. It is a small
// POSIX-shell lexer: it follows quotes, $( … ), ${ … }, arithmetic,
// backquotes (recursively), comments and here-documents far enough to know
// the quoting context of every placeholder, and escapes each value for that
// context. It never evaluates anything.
type expander struct {
	src    string
	vals   map[string]string
	bashes bool // the shell treats $'…' as ANSI-C quoting (bash, zsh, ksh)

	out     strings.Builder
	stack   []frame
	word    bool   // at the start of a word (for '#' comments)
	heredoc int    // 0 none, 1 operator seen, 2 inside a body
	lost    string // why the lexer can no longer be sure of the context
}

// Expand replaces every known {placeholder} in tmpl with its value from
// vals, escaped for the shell context it stands in:
//
//   - unquoted: wrapped in single quotes ('it'\”s');
//   - inside '…': the quote is closed, an escaped quote added, and reopened;
//   - inside "…": \ " $ and ` are backslash-escaped;
//   - inside $'…' (bash): \ becomes \\ and ' becomes \x27;
//   - inside a # comment: newlines become spaces (and the value is quoted);
//   - inside backquotes: escaped for the inner context, then for the
//     backquote layer;
//   - with bash, a value holding a line break goes in as $'…\n…' in every
//     context, so no value puts a literal line break into the command.
//
// Unknown placeholders, and placeholders escaped with a backslash, are left
// as they are. bashLike tells whether the shell reads $'…' as ANSI-C quoting;
// when false, a placeholder after $'…' is refused. A placeholder the lexer
// cannot quote safely yields an error wrapping ErrUnsupportedContext.
func Expand(tmpl string, vals map[string]string, bashLike bool) (string, error) {
	e := &expander{src: tmpl, vals: vals, bashes: bashLike, stack: []frame{{kind: frTop}}, word: true}
	if err := e.scan(); err != nil {
		return "", err
	}
	return e.out.String(), nil
}

func (e *expander) top() *frame { return &e.stack[len(e.stack)-1] }

func (e *expander) push(f frame) { e.stack = append(e.stack, f) }

func (e *expander) pop() {
	if len(e.stack) > 1 {
		e.stack = e.stack[:len(e.stack)-1]
	}
}

// scan walks the template once, emitting it with placeholders substituted.
func (e *expander) scan() error {
	s := e.src
	for i := 0; i < len(s); {
		if s[i] == '{' {
			if name, ok := placeholderAt(s[i:]); ok {
				if v, known := e.vals[name]; known {
					if err := e.substitute(name, v); err != nil {
						return err
					}
					i += len(name) + 2
					e.word = false
					continue
				}
			}
		}
		n, err := e.step(i)
		if err != nil {
			return err
		}
		i += n
	}
	return nil
}

// step lexes the token at s[i] in the current context, emits it and returns
// its length.
func (e *expander) step(i int) (int, error) {
	switch e.top().kind {
	case frSingle:
		if e.src[i] == '\'' {
			e.pop()
		}
		e.out.WriteByte(e.src[i])
		return 1, nil
	case frANSI:
		return e.stepANSI(i), nil
	case frDouble:
		return e.stepDouble(i)
	case frParam:
		return e.stepParam(i)
	case frArith:
		return e.stepArith(i), nil
	}
	return e.stepUnquoted(i)
}

func (e *expander) emit(s string) int {
	e.out.WriteString(s)
	return len(s)
}

// escaped emits a backslash and the byte after it (or the lone backslash at
// the end of the template).
func (e *expander) escaped(i int) int {
	if i+1 < len(e.src) {
		return e.emit(e.src[i : i+2])
	}
	return e.emit(e.src[i:])
}

func (e *expander) stepANSI(i int) int {
	switch e.src[i] {
	case '\\':
		return e.escaped(i)
	case '\'':
		e.pop()
	}
	return e.emit(e.src[i : i+1])
}

func (e *expander) stepDouble(i int) (int, error) {
	s := e.src
	switch s[i] {
	case '\\':
		return e.escaped(i), nil
	case '"':
		e.pop()
		return e.emit(`"`), nil
	case '`':
		return e.backquote(i, true)
	case '$':
		return e.dollar(i), nil
	}
	return e.emit(s[i : i+1]), nil
}

// dollar handles $( $(( ${ $[ in any context where they are expansions.
func (e *expander) dollar(i int) int {
	rest := e.src[i:]
	switch {
	case strings.HasPrefix(rest, "$(("):
		e.push(frame{kind: frArith, closer: "))"})
		return e.emit("$((")
	case strings.HasPrefix(rest, "$("):
		e.push(frame{kind: frCmdSub})
		e.word = true
		return e.emit("$(")
	case strings.HasPrefix(rest, "${"):
		e.push(frame{kind: frParam})
		return e.emit("${")
	case strings.HasPrefix(rest, "$["):
		e.push(frame{kind: frArith, closer: "]"})
		return e.emit("$[")
	}
	return e.emit("$")
}

func (e *expander) stepParam(i int) (int, error) {
	s := e.src
	f := e.top()
	switch s[i] {
	case '\\':
		return e.escaped(i), nil
	case '{':
		f.depth++
	case '}':
		if f.depth == 0 {
			e.pop()
		} else {
			f.depth--
		}
	case '"':
		e.push(frame{kind: frDouble})
	case '\'':
		if !e.insideDouble() {
			e.push(frame{kind: frSingle})
		}
	case '`':
		return e.backquote(i, e.insideDouble())
	case '$':
		return e.dollar(i), nil
	}
	return e.emit(s[i : i+1]), nil
}

// insideDouble reports whether the innermost enclosing quote is "…".
func (e *expander) insideDouble() bool {
	for j := len(e.stack) - 1; j >= 0; j-- {
		switch e.stack[j].kind {
		case frDouble:
			return true
		case frCmdSub, frTop:
			return false
		}
	}
	return false
}

func (e *expander) stepArith(i int) int {
	s := e.src
	f := e.top()
	open := byte('(')
	if f.closer == "]" {
		open = '['
	}
	switch {
	case f.depth == 0 && strings.HasPrefix(s[i:], f.closer):
		e.word = f.command // bash starts a comment right after (( … ))
		e.pop()
		return e.emit(f.closer)
	case s[i] == open:
		f.depth++
	case s[i] == f.closer[0] && f.depth > 0:
		f.depth--
	case s[i] == '$':
		return e.dollar(i)
	}
	return e.emit(s[i : i+1])
}

// stepUnquoted lexes one token at top level or inside $( … ).
func (e *expander) stepUnquoted(i int) (int, error) {
	s := e.src
	c := s[i]
	if e.heredoc == 2 {
		return e.emit(s[i : i+1]), nil
	}
	word := e.word
	e.word = false
	switch {
	case c == '\\':
		if strings.HasPrefix(s[i:], "\\\n") {
			e.word = word // a line continuation vanishes: the word start stays
		}
		return e.escaped(i), nil
	case c == '\'':
		e.push(frame{kind: frSingle})
		return e.emit("'"), nil
	case c == '"':
		e.push(frame{kind: frDouble})
		return e.emit(`"`), nil
	case c == '`':
		return e.backquote(i, false)
	case strings.HasPrefix(s[i:], "$'"):
		if !e.bashes {
			e.lose("$'…' quoting with a shell that may not be bash")
		}
		e.push(frame{kind: frANSI})
		return e.emit("$'"), nil
	case c == '$':
		return e.dollar(i), nil
	case c == '#' && word:
		return e.comment(i), nil
	case word && strings.HasPrefix(s[i:], "(("):
		e.push(frame{kind: frArith, closer: "))", command: true})
		return e.emit("(("), nil
	case strings.HasPrefix(s[i:], "<<<"):
		return e.emit("<<<"), nil
	case strings.HasPrefix(s[i:], "<<"):
		e.heredoc = 1
		return e.emit("<<"), nil
	case word && e.top().kind == frCmdSub && isKeyword(s[i:], "case"):
		e.lose("'case' inside $(…)")
	}
	return e.unquotedPunct(i), nil
}

// unquotedPunct emits one plain unquoted byte, tracking parentheses, word
// starts and the start of a here-document body.
func (e *expander) unquotedPunct(i int) int {
	c := e.src[i]
	f := e.top()
	switch c {
	case '(':
		f.depth++
	case ')':
		if f.kind == frCmdSub && f.depth == 0 {
			e.pop()
			return e.emit(")")
		}
		if f.depth > 0 {
			f.depth--
		}
	case '\n':
		if e.heredoc == 1 {
			e.heredoc = 2
		}
	}
	e.word = strings.IndexByte(" \t\n;&|()<>", c) >= 0
	return e.emit(e.src[i : i+1])
}

// comment emits a # comment up to (not including) the newline, with its
// placeholders quoted and stripped of newlines so that a value cannot end
// the comment.
func (e *expander) comment(i int) int {
	s := e.src
	j := i
	for j < len(s) && s[j] != '\n' {
		if s[j] == '{' {
			if name, ok := placeholderAt(s[j:]); ok {
				if v, known := e.vals[name]; known {
					e.out.WriteString(quoteUnquoted(noNewlines(dropNUL(v))))
					j += len(name) + 2
					continue
				}
			}
		}
		e.out.WriteByte(s[j])
		j++
	}
	e.word = true
	return j - i
}

// backquote expands the text between ` and its closing ` recursively: the
// backquote layer's escapes are removed, the inner command expanded as a
// command of its own, and the result escaped again for the layer.
func (e *expander) backquote(i int, inDouble bool) (int, error) {
	s := e.src
	j := i + 1
	for j < len(s) && s[j] != '`' {
		if s[j] == '\\' {
			j++
		}
		j++
	}
	end := min(j, len(s))
	special := "\\`$"
	if inDouble {
		special += `"`
	}
	inner := unescapeLayer(s[i+1:end], special)
	sub := &expander{src: inner, vals: e.vals, bashes: e.bashes, stack: []frame{{kind: frTop}}, word: true, lost: e.lost}
	if err := sub.scan(); err != nil {
		return 0, err
	}
	e.out.WriteByte('`')
	e.out.WriteString(escapeLayer(sub.out.String(), special))
	if j < len(s) {
		e.out.WriteByte('`')
		return j + 1 - i, nil
	}
	return j - i, nil
}

// substitute emits the escaped value of placeholder name in the current
// context.
func (e *expander) substitute(name, v string) error {
	v = dropNUL(v)
	refuse := func(why string) error {
		return fmt.Errorf("expand {%s}: %s: %w", name, why, ErrUnsupportedContext)
	}
	if e.lost != "" {
		return refuse("after " + e.lost)
	}
	if e.heredoc == 2 {
		return refuse("inside a here-document")
	}
	// With bash, a line break in a value is written as $'\n', so that no
	// value can end a comment the lexer did not see.
	lines := e.bashes && strings.ContainsAny(v, "\n\r")
	switch e.top().kind {
	case frSingle:
		if lines {
			e.out.WriteString("'" + ansiWord(v) + "'")
		} else {
			e.out.WriteString(strings.ReplaceAll(v, "'", `'\''`))
		}
	case frDouble:
		if lines {
			e.out.WriteString(`"` + ansiWord(v) + `"`)
		} else {
			e.out.WriteString(escapeDouble(v))
		}
	case frANSI:
		e.out.WriteString(escapeANSI(v))
	case frParam:
		return refuse("inside ${…}")
	case frArith:
		if !isInteger(v) {
			return refuse(fmt.Sprintf("non-integer value %q in arithmetic", v))
		}
		e.out.WriteString(v)
	default:
		if lines {
			e.out.WriteString(ansiWord(v))
		} else {
			e.out.WriteString(quoteUnquoted(v))
		}
	}
	return nil
}

// escapeANSI escapes v for the inside of bash's $'…'.
func escapeANSI(v string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\x27`, "\n", `\n`, "\r", `\r`).Replace(v)
}

// ansiWord makes v one literal bash word without line breaks: $'…'.
func ansiWord(v string) string { return "$'" + escapeANSI(v) + "'" }

func (e *expander) lose(why string) {
	if e.lost == "" {
		e.lost = why
	}
}

// placeholderAt reports the name of a {name} placeholder at the start of s.
func placeholderAt(s string) (string, bool) {
	if len(s) < 3 || s[0] != '{' || !isLetter(s[1]) {
		return "", false
	}
	for j := 2; j < len(s); j++ {
		switch c := s[j]; {
		case c == '}':
			return s[1:j], true
		case !isLetter(c) && (c < '0' || c > '9') && c != '_':
			return "", false
		}
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isKeyword reports whether s starts with the word kw followed by a blank.
func isKeyword(s, kw string) bool {
	return strings.HasPrefix(s, kw) && len(s) > len(kw) && strings.IndexByte(" \t\n", s[len(kw)]) >= 0
}

func isInteger(v string) bool {
	v = strings.TrimPrefix(v, "-")
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// quoteUnquoted makes v one literal shell word: 'v' with each ' as '\”.
func quoteUnquoted(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// Quote returns v as a single literal word for a POSIX shell.
func Quote(v string) string { return quoteUnquoted(dropNUL(v)) }

// dropNUL removes NUL bytes, which no shell argument can hold.
func dropNUL(v string) string { return strings.ReplaceAll(v, "\x00", "") }

func escapeDouble(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(v)
}

func noNewlines(v string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(v) }

// unescapeLayer removes the backslashes a backquote substitution removes:
// those before one of the special bytes.
func unescapeLayer(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(special, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeLayer is the inverse of unescapeLayer.
func escapeLayer(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// SplitAsync trims cmd and reports whether it ends in '&' (orchestrator's
// marker of an asynchronous hook), returning the command without it.
func SplitAsync(cmd string) (string, bool) {
	cmd = strings.TrimSpace(cmd)
	if !strings.HasSuffix(cmd, "&") || strings.HasSuffix(cmd, "&&") {
		return cmd, false
	}
	return strings.TrimSpace(strings.TrimSuffix(cmd, "&")), true
}
