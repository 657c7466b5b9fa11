package shell

import (
	"errors"
	"strings"
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

// TestCheckVIP: a VIP without an address is not checked; a bad interface
// and a command the expander refuses behind the remote-exec prefix are
// each named by their option; the defaults and a good prefix pass.
func TestCheckVIP(t *testing.T) {
	if got := CheckVIP(VIPOptions{Interface: "eth0; rm -rf /", CheckCommand: "echo ${X:-{vip}}"}); got != nil {
		t.Errorf("no VIP address: %v, want nothing checked", got)
	}
	if got := CheckVIP(VIPOptions{Address: "10.0.0.30", Interface: "eth0", RemoteExecPrefix: "ssh {host}"}); got != nil {
		t.Errorf("defaults behind ssh {host}: %v", got)
	}
	got := CheckVIP(VIPOptions{Address: "10.0.0.30", Interface: "eth0; rm -rf /", RemoteExecPrefix: "ssh {host}",
		CheckCommand: "ip -o a show dev ${I:-{interface}}"})
	if len(got) != 2 || got[0].Option != "Interface" || got[1].Option != "CheckCommand" ||
		!errors.Is(got[1].Err, ErrUnsupportedContext) || !strings.Contains(got[1].Err.Error(), `"ssh {host} ip -o a show dev`) {
		t.Errorf("bad interface and check command: %+v", got)
	}
	got = CheckVIP(VIPOptions{Address: "10.0.0.30", Interface: "eth0", RemoteExecPrefix: "cat <<EOF\n{host}\nEOF\n"})
	if len(got) != 3 {
		t.Errorf("a prefix the expander refuses: %+v, want all three commands refused", got)
	}
}
