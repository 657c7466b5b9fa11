package shell

import (
	"errors"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	for _, ok := range []string{
		"echo {failureType} {failedHost}:{failedPort} >> /tmp/log",
		"curl -d \"host={successorHost}\" http://x &",
		"echo $(( {failedPort} + 1 ))",
		"ip address add {vip}/32 dev {interface}",
		"echo ${HOME} {unknownPlaceholder}",
	} {
		if err := CheckCommand("bash", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"echo ${X:-{failedHost}}",
		"cat <<EOF\n{failedHost}\nEOF",
	} {
		if err := CheckCommand("bash", bad); !errors.Is(err, ErrUnsupportedContext) {
			t.Errorf("%q: %v, want ErrUnsupportedContext", bad, err)
		}
	}
	if err := CheckCommand("sh", "echo $'a' {failedHost}"); !errors.Is(err, ErrUnsupportedContext) {
		t.Errorf("after $'…' under sh: %v, want ErrUnsupportedContext", err)
	}
}
