package shell

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Exact expansions, one per quoting context.
func TestExpandEscapesPerContext(t *testing.T) {
	vals := map[string]string{"v": `it's "a" $x \ ` + "`y`", "n": "42"}
	tests := []struct {
		name, tmpl, want string
	}{
		{"unquoted", `echo {v}`, `echo 'it'\''s "a" $x \ ` + "`y`'"},
		{"single", `echo 'a {v} b'`, `echo 'a it'\''s "a" $x \ ` + "`y`" + ` b'`},
		{"double", `echo "a {v} b"`, `echo "a it's \"a\" \$x \\ ` + "\\`y\\`" + ` b"`},
		{"ansi-c", `echo $'a {v} b'`, `echo $'a it\x27s "a" $x \\ ` + "`y`" + ` b'`},
		{"comment", "echo ok # {v}", "echo ok # 'it'\\''s \"a\" $x \\ `y`'"},
		{"cmdsub in double", `echo "$(echo {v})"`, `echo "$(echo 'it'\''s "a" $x \ ` + "`y`'" + `)"`},
		{"arithmetic", `echo $(( {n} + 1 ))`, `echo $(( 42 + 1 ))`},
		{"unknown kept", `echo {nope} '{nope}'`, `echo {nope} '{nope}'`},
		{"escaped brace kept", `echo \{v} "\{v}"`, `echo \{v} "\{v}"`},
		{"parameter expansion is not a placeholder", `echo ${v}`, `echo ${v}`},
		{"brace group", `{ echo {n}; }`, `{ echo '42'; }`},
		{"here-string", `cat <<<{n}`, `cat <<<'42'`},
	}
	for _, tt := range tests {
		got, err := Expand(tt.tmpl, vals, true)
		if err != nil {
			t.Errorf("%s: Expand(%q): %v", tt.name, tt.tmpl, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: Expand(%q)\n got %s\nwant %s", tt.name, tt.tmpl, got, tt.want)
		}
	}
}

// With bash, a value's line breaks never appear literally in the command.
func TestExpandLineBreaks(t *testing.T) {
	vals := map[string]string{"v": "a\nb'c"}
	tests := []struct {
		tmpl, want string
		bash       bool
	}{
		{`echo {v}`, `echo $'a\nb\x27c'`, true},
		{`echo 'x{v}y'`, `echo 'x'$'a\nb\x27c''y'`, true},
		{`echo "x{v}y"`, `echo "x"$'a\nb\x27c'"y"`, true},
		{`echo $'x{v}y'`, `echo $'xa\nb\x27cy'`, true},
		{`echo {v}`, "echo 'a\nb'\\''c'", false},
	}
	for _, tt := range tests {
		got, err := Expand(tt.tmpl, vals, tt.bash)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q, bash=%v) = %q, %v; want %q", tt.tmpl, tt.bash, got, err, tt.want)
		}
	}
}

// Placeholders the lexer cannot quote safely are refused, not run.
func TestExpandRefusesUnsafeContexts(t *testing.T) {
	vals := map[string]string{"v": "x; touch /tmp/no", "n": "7"}
	tests := []struct {
		name, tmpl string
		bash       bool
	}{
		{"here-document body", "cat <<EOF\n{v}\nEOF", true},
		{"after a here-document", "cat <<EOF\nx\nEOF\necho {v}", true},
		{"inside ${…}", `echo ${X:-{v}}`, true},
		{"arithmetic with text", `echo $(( {v} ))`, true},
		{"arithmetic command with text", `(( {v} > 1 ))`, true},
		{"case inside $(…)", `echo "$(case a in a) echo {v};; esac)"`, true},
		{"$'…' with a non-bash shell", `echo $'a' {v}`, false},
	}
	for _, tt := range tests {
		got, err := Expand(tt.tmpl, vals, tt.bash)
		if !errors.Is(err, ErrUnsupportedContext) {
			t.Errorf("%s: Expand(%q) = %q, %v; want ErrUnsupportedContext", tt.name, tt.tmpl, got, err)
		}
	}
	if got, err := Expand(`echo $(( {n} * 2 ))`, vals, true); err != nil || got != `echo $(( 7 * 2 ))` {
		t.Errorf("integer in arithmetic: got %q, %v", got, err)
	}
}

func TestSplitAsync(t *testing.T) {
	tests := []struct {
		in, cmd string
		async   bool
	}{
		{"echo a", "echo a", false},
		{"  echo a &  ", "echo a", true},
		{"echo a&", "echo a", true},
		{"a && b", "a && b", false},
		{"echo 'a &'", "echo 'a &'", false},
	}
	for _, tt := range tests {
		cmd, async := SplitAsync(tt.in)
		if cmd != tt.cmd || async != tt.async {
			t.Errorf("SplitAsync(%q) = %q, %v; want %q, %v", tt.in, cmd, async, tt.cmd, tt.async)
		}
	}
}

// shellContext is a command template printing {v} in one quoting context,
// and the output the shell must then print for value v.
type shellContext struct {
	name string
	tmpl string
	want func(v string) string
}

func verbatim(v string) string { return v + "\n" }

// cmdsub: command substitution drops trailing newlines.
func cmdsub(v string) string { return strings.TrimRight(v, "\n") + "\n" }

var shellContexts = []shellContext{
	{"unquoted", `printf '%s\n' {v}`, verbatim},
	{"concatenated", `printf '%s\n' pre{v}:{v}post`, func(v string) string { return "pre" + v + ":" + v + "post\n" }},
	{"single", `printf '%s\n' 'pre {v} post'`, func(v string) string { return "pre " + v + " post\n" }},
	{"double", `printf '%s\n' "pre {v} post"`, func(v string) string { return "pre " + v + " post\n" }},
	{"ansi-c", `printf '%s\n' $'pre {v} post'`, func(v string) string { return "pre " + v + " post\n" }},
	{"cmdsub in double", `printf '%s\n' "$(printf '%s' {v})"`, cmdsub},
	{"single in cmdsub", `printf '%s\n' "$(printf '%s' 'a{v}b')"`, func(v string) string { return "a" + v + "b\n" }},
	{"double in cmdsub", `printf '%s\n' "$(printf '%s' "a{v}b")"`, func(v string) string { return "a" + v + "b\n" }},
	{"backquote in double", "printf '%s\\n' \"`printf '%s' {v}`\"", cmdsub},
	{"double in backquote", "printf '%s\\n' \"`printf '%s' \\\"a{v}b\\\"`\"", func(v string) string { return "a" + v + "b\n" }},
	{"single in backquote", "printf '%s\\n' \"`printf '%s' 'a{v}b'`\"", func(v string) string { return "a" + v + "b\n" }},
	{"unquoted backquote", "printf '%s\\n' `printf '%s' ok` {v}", func(v string) string { return "ok\n" + v + "\n" }},
	{"comment", `printf '%s\n' ok # {v}`, func(string) string { return "ok\n" }},
	{"comment after line continuation", "printf '%s\\n' ok \\\n# {v}", func(string) string { return "ok\n" }},
	{"comment after ((…))", "((1))# {v}\nprintf '%s\\n' ok", func(string) string { return "ok\n" }},
	{"subshell", `( printf '%s\n' {v} )`, verbatim},
	{"pipeline", `printf '%s\n' {v} | cat`, verbatim},
}

// evilValues try to break out of every context; each would create marker
// if it ever ran as code.
func evilValues(marker string) []string {
	return []string{
		`x'; touch ` + marker + `; '`,
		`$(touch ` + marker + `)`,
		"`touch " + marker + "`",
		`"; touch ` + marker + `; "`,
		`\"; touch ` + marker + `; #`,
		`\'; touch ` + marker + `; #`,
		"a\ntouch " + marker,
		"a\n'\ntouch " + marker + "\n'",
		`$'\x27'; touch ` + marker + `;`,
		`'"'"'; touch ` + marker + `; '"'"'`,
		`); touch ` + marker + `; (`,
		"`); touch " + marker + "; (`",
		`} ; touch ` + marker + ` ; {`,
		`${IFS}touch${IFS}` + marker,
		`a[$(touch ` + marker + `)]`,
		`$((1+1)) > ` + marker,
		`\`, `x\`, `'`, `"`, "`", `$`, `$HOME`, `*`, `~`, `!!`, `#`, ``, ` `, `a  b`,
		"{v}", "{failedHost}", "tab\there", "nul\x00byte",
		"db-1.example.com", "198.18.0.1:3306",
	}
}

func runBash(t *testing.T, dir, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash -c %q: %v (stderr %s)", script, err, exitStderr(err))
	}
	return string(out)
}

func exitStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// The real shell prints each value exactly, and nothing it holds runs.
func TestExpandInjectionThroughBash(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	for _, c := range shellContexts {
		for _, v := range evilValues(marker) {
			line, err := Expand(c.tmpl, map[string]string{"v": v}, true)
			if err != nil {
				t.Errorf("%s: Expand(%q) with %q: %v", c.name, c.tmpl, v, err)
				continue
			}
			got := runBash(t, dir, line)
			if want := c.want(strings.ReplaceAll(v, "\x00", "")); got != want {
				t.Errorf("%s: value %q\n line %s\n  got %q\n want %q", c.name, v, line, got, want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("%s: value %q ran a command: %s exists (line %s)", c.name, v, marker, line)
			}
		}
	}
}

// Random values over the shell's special characters, one bash per context.
func TestExpandRandomValuesThroughBash(t *testing.T) {
	const alphabet = "'\"\\$`;&|()<>{}#*~!?[]= \n\tqx0"
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]string, 150)
	for i := range values {
		b := make([]byte, rng.IntN(14))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		values[i] = string(b)
	}
	dir := t.TempDir()
	const sep = "\x1e\n"
	for _, c := range shellContexts {
		var script strings.Builder
		for _, v := range values {
			line, err := Expand(c.tmpl, map[string]string{"v": v}, true)
			if err != nil {
				t.Fatalf("%s: Expand with %q: %v", c.name, v, err)
			}
			script.WriteString(line + "\nprintf '\\036\\n'\n")
		}
		outs := strings.Split(runBash(t, dir, script.String()), sep)
		if len(outs) != len(values)+1 {
			t.Fatalf("%s: %d outputs for %d values", c.name, len(outs)-1, len(values))
		}
		for i, v := range values {
			if want := c.want(v); outs[i] != want {
				t.Errorf("%s: value %q: got %q, want %q", c.name, v, outs[i], want)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("random values created files: %v", entries)
	}
}
