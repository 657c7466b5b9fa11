package shell

import (
	"fmt"
	"strings"
)

// CheckCommand reports the error a hook or VIP command would meet on every
// run, whatever the values: a placeholder in a shell context the expander
// refuses (inside ${…}, a here-document, after a construct it cannot
// follow). shell is ProcessesShellCommand. Every placeholder a hook or the
// VIP commands fill in is tried as "1" (an integer, so an arithmetic
// context passes: a non-integer value there is refused only at run time).
// `regent config check` runs it on every hook list and VIP command.
func CheckCommand(shell, cmd string) error {
	line, _ := SplitAsync(cmd)
	vals := map[string]string{}
	for _, name := range append(PlaceholderNames(), "vip", "interface", "host", "port") {
		vals[name] = "1"
	}
	_, err := Expand(line, vals, newExecutor(shell, 0, 0).bashLike())
	return err
}

// VIPProblem is what CheckVIP finds wrong with one VIPOptions field.
type VIPProblem struct {
	Option string // "Interface", "AddCommand", "RemoveCommand" or "CheckCommand"
	Err    error
}

// CheckVIP reports what would make an operation of a VIP with o fail on
// every run, whatever the host: an unusable Interface (CheckInterface), and
// an add, remove or check command that CheckCommand refuses as the VIP
// runs it (the default for an empty one, behind RemoteExecPrefix). A VIP
// without an Address does nothing, so nothing is checked.
func CheckVIP(o VIPOptions) []VIPProblem {
	if strings.TrimSpace(o.Address) == "" {
		return nil
	}
	var out []VIPProblem
	if err := CheckInterface(o.Interface); err != nil {
		out = append(out, VIPProblem{Option: "Interface", Err: err})
	}
	for _, c := range []struct{ option, tmpl, def string }{
		{"AddCommand", o.AddCommand, DefaultVIPAddCommand},
		{"RemoveCommand", o.RemoveCommand, DefaultVIPRemoveCommand},
		{"CheckCommand", o.CheckCommand, DefaultVIPCheckCommand},
	} {
		line := o.behindPrefix(orDefault(c.tmpl, c.def))
		if err := CheckCommand(o.Shell, line); err != nil {
			out = append(out, VIPProblem{Option: c.option, Err: fmt.Errorf("command %q: %w", line, err)})
		}
	}
	return out
}

// CheckInterface reports whether name is refused as VIPInterface by every
// VIP command (the check VIP runs before it expands a command).
func CheckInterface(name string) error {
	if !ifaceName.MatchString(name) {
		return fmt.Errorf("check vip interface %q: not an interface name", name)
	}
	return nil
}
