package shell

import (
	"fmt"
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

// CheckInterface reports whether name is refused as VIPInterface by every
// VIP command (the check VIP runs before it expands a command).
func CheckInterface(name string) error {
	if !ifaceName.MatchString(name) {
		return fmt.Errorf("check vip interface %q: not an interface name", name)
	}
	return nil
}
