package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

const testVIP = "198.18.0.250"

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("VIP tests create network namespaces and need root (CI runs them as root): run `sudo go test ./actuators/shell/`")
	}
}

// newNetns creates a network namespace with an interface eth0 (up,
// holding addr/24) and deletes it when the test ends, also on failure.
func newNetns(t *testing.T, suffix, addr string) string {
	t.Helper()
	ns := fmt.Sprintf("rgt-vip-test-%d-%s", os.Getpid(), suffix)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	_ = exec.Command("ip", "netns", "del", ns).Run() // a leftover of a killed run
	ip("netns", "add", ns)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v: %s", ns, err, out)
		}
	})
	// A veth pair with both ends inside (the kernel may lack the dummy
	// driver); it goes away with the namespace.
	ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
	ip("-n", ns, "address", "add", addr+"/24", "dev", "eth0")
	ip("-n", ns, "link", "set", "eth0p", "up")
	ip("-n", ns, "link", "set", "eth0", "up")
	return ns
}

// nsHasVIP reads the namespace's addresses directly, not through VIP.
func nsHasVIP(t *testing.T, ns string) bool {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-o", "address", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("list addresses in %s: %v: %s", ns, err, out)
	}
	return strings.Contains(string(out), " "+testVIP+"/32 ")
}

func netnsVIP(t *testing.T, hosts map[string]string, mod func(*VIPOptions)) *VIP {
	opts := VIPOptions{
		Address:          testVIP,
		Interface:        "eth0",
		RemoteExecPrefix: "ip netns exec {netns}",
		Resolve: func(k events.InstanceKey) map[string]string {
			if ns, ok := hosts[k.Hostname]; ok {
				return map[string]string{"netns": ns}
			}
			return nil
		},
		Env:     []string{"PATH=" + os.Getenv("PATH")},
		Timeout: 5 * time.Second,
		Logger:  zerolog.New(zerolog.NewTestWriter(t)),
	}
	if mod != nil {
		mod(&opts)
	}
	v := NewVIP(opts)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// add → has → add again → remove → has not → remove again, for real.
func TestVIPLifecycleInNetns(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t, "a", "198.18.0.241")
	h := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	v := netnsVIP(t, map[string]string{h.Hostname: ns}, nil)
	ctx := context.Background()
	step := func(name string, f func(context.Context, events.InstanceKey) (bool, error), want bool) {
		t.Helper()
		got, err := f(ctx, h)
		if err != nil || got != want {
			t.Fatalf("%s: got %v, %v; want %v", name, got, err, want)
		}
	}
	if v.Address() != testVIP {
		t.Fatalf("Address() = %q", v.Address())
	}
	step("has before", v.Has, false)
	step("add", v.Add, true)
	if !nsHasVIP(t, ns) {
		t.Fatal("the VIP is not on eth0 after Add")
	}
	step("has", v.Has, true)
	step("add again", v.Add, false)
	step("remove", v.Remove, true)
	if nsHasVIP(t, ns) {
		t.Fatal("the VIP is still on eth0 after Remove")
	}
	step("has after remove", v.Has, false)
	step("remove again", v.Remove, false)
}

// The VIP moves from one host to another; a neighbour address that merely
// starts like the VIP does not count.
func TestVIPMovesBetweenHosts(t *testing.T) {
	requireRoot(t)
	nsA, nsB := newNetns(t, "a", "198.18.0.241"), newNetns(t, "b", "198.18.0.242")
	a := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	b := events.InstanceKey{Hostname: "198.18.0.242", Port: 3306}
	arpLog := filepath.Join(t.TempDir(), "arp")
	v := netnsVIP(t, map[string]string{a.Hostname: nsA, b.Hostname: nsB}, func(o *VIPOptions) {
		o.ARPCommand = "echo arp {vip} {interface} {host} {port} {netns} >> " + Quote(arpLog)
	})
	ctx := context.Background()
	if out, err := exec.Command("ip", "-n", nsB, "address", "add", "198.18.0.25/32", "dev", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("add neighbour address: %v: %s", err, out)
	}
	if has, err := v.Has(ctx, b); err != nil || has {
		t.Fatalf("198.18.0.25 taken for the VIP: %v %v", has, err)
	}
	if _, err := v.Add(ctx, a); err != nil {
		t.Fatal(err)
	}
	if changed, err := v.Add(ctx, b); err != nil || !changed {
		t.Fatalf("add on b: %v %v", changed, err)
	}
	if changed, err := v.Remove(ctx, a); err != nil || !changed {
		t.Fatalf("remove from a: %v %v", changed, err)
	}
	if nsHasVIP(t, nsA) || !nsHasVIP(t, nsB) {
		t.Fatalf("VIP on a=%v b=%v, want b only", nsHasVIP(t, nsA), nsHasVIP(t, nsB))
	}
	v.Wait()
	checkLines(t, arpLog, []string{
		fmt.Sprintf("arp %s eth0 198.18.0.241 3306 %s", testVIP, nsA),
		fmt.Sprintf("arp %s eth0 198.18.0.242 3306 %s", testVIP, nsB),
	})
}

// The announcement does not hold up Add; Close waits for it.
func TestVIPAnnounceInBackground(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t, "a", "198.18.0.241")
	h := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	arpLog := filepath.Join(t.TempDir(), "arp")
	v := netnsVIP(t, map[string]string{h.Hostname: ns}, func(o *VIPOptions) {
		o.ARPCommand = "sh -c 'sleep 0.5; echo sent' >> " + Quote(arpLog)
	})
	start := time.Now()
	if changed, err := v.Add(context.Background(), h); err != nil || !changed {
		t.Fatalf("add: %v %v", changed, err)
	}
	if el := time.Since(start); el > 400*time.Millisecond {
		t.Errorf("Add waited for the announcement: %s", el)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Errorf("Close returned before the announcement finished: %s", el)
	}
	checkLines(t, arpLog, []string{"sent"})
}

// Failures are classified: a missing device or namespace is permanent, a
// hanging command transient; a bad host name is refused before anything runs.
func TestVIPErrors(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t, "a", "198.18.0.241")
	h := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	hosts := map[string]string{h.Hostname: ns}
	ctx := context.Background()
	marker := filepath.Join(t.TempDir(), "ran")
	tests := []struct {
		name string
		host events.InstanceKey
		mod  func(*VIPOptions)
		kind actuators.ErrorKind
	}{
		{"no such device", h, func(o *VIPOptions) { o.Interface = "nosuch0" }, actuators.Permanent},
		{"no such namespace", events.InstanceKey{Hostname: "198.18.0.249", Port: 3306}, nil, actuators.Permanent},
		{"timeout", h, func(o *VIPOptions) { o.CheckCommand = "sleep 5"; o.Timeout = 200 * time.Millisecond }, actuators.Transient},
		{"option as host", events.InstanceKey{Hostname: "-oProxyCommand=touch " + marker}, func(o *VIPOptions) { o.CheckCommand = "touch " + marker }, actuators.Permanent},
		{"bad interface name", h, func(o *VIPOptions) { o.Interface = "eth0; touch " + marker }, actuators.Permanent},
		{"bad address", h, func(o *VIPOptions) { o.Address = "198.18.0.250; touch " + marker }, actuators.Permanent},
		{"not permitted", h, func(o *VIPOptions) {
			o.AddCommand = "sh -c 'echo RTNETLINK answers: Operation not permitted >&2; exit 2'"
		}, actuators.Permanent},
	}
	for _, tt := range tests {
		v := netnsVIP(t, hosts, tt.mod)
		changed, err := v.Add(ctx, tt.host)
		t.Logf("%s: %v", tt.name, err)
		var ae *actuators.Error
		if changed || !errors.As(err, &ae) || ae.Kind != tt.kind || ae.Key != tt.host {
			t.Errorf("%s: Add = %v, %v; want a %v *actuators.Error", tt.name, changed, err, tt.kind)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a bad value ran a command")
	}
	if nsHasVIP(t, ns) {
		t.Error("a failed Add left the VIP")
	}
}

// Without a VIP address nothing runs and nothing changes.
func TestVIPNotConfigured(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	touch := "touch " + marker
	v := NewVIP(VIPOptions{CheckCommand: touch, AddCommand: touch, RemoveCommand: touch, Logger: zerolog.Nop()})
	h := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	ctx := context.Background()
	if v.Address() != "" {
		t.Errorf("Address() = %q", v.Address())
	}
	for name, f := range map[string]func(context.Context, events.InstanceKey) (bool, error){"add": v.Add, "remove": v.Remove, "has": v.Has} {
		if got, err := f(ctx, h); got || err != nil {
			t.Errorf("%s: %v, %v", name, got, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a command ran")
	}
}

// The check matches the VIP as a whole address followed by '/'.
func TestVIPCheckMatch(t *testing.T) {
	v := NewVIP(VIPOptions{Address: "198.18.0.25", Logger: zerolog.Nop()})
	tests := []struct {
		out  string
		want bool
	}{
		{"2: eth0    inet 198.18.0.25/32 scope global eth0", true},
		{"2: eth0    inet 198.18.0.250/32 scope global eth0", false},
		{"2: eth0    inet 1198.18.0.25/32 scope global eth0", false},
		{"2: eth0    inet 198.18.0.25 scope global eth0", false},
		{"inet 198.18.0.1/24\ninet 198.18.0.25/24 brd", true},
		{"198.18.0.25/32", true},
		{"inet 198x18.0.25/32", false},
	}
	for _, tt := range tests {
		if got := v.has.MatchString(tt.out); got != tt.want {
			t.Errorf("match %q = %v, want %v", tt.out, got, tt.want)
		}
	}
}

func TestVIPClassify(t *testing.T) {
	h := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	exit := errors.New("exit status 2")
	tests := []struct {
		name   string
		prefix string
		res    result
		want   actuators.ErrorKind
	}{
		{"not permitted", "", result{ExitCode: 2, Err: exit, Output: "RTNETLINK answers: Operation not permitted\n"}, actuators.Permanent},
		{"no device", "", result{ExitCode: 1, Err: exit, Output: `Cannot find device "eth9"`}, actuators.Permanent},
		{"timeout", "", result{ExitCode: 143, Err: exit, TimedOut: true}, actuators.Transient},
		{"cancelled", "", result{ExitCode: -1, Err: fmt.Errorf("stop command: %w", context.Canceled)}, actuators.Transient},
		{"ssh unreachable", "ssh {host}", result{ExitCode: 255, Err: exit, Output: "ssh: connect to host 198.18.0.1 port 22: No route to host"}, actuators.Transient},
		{"ssh silent 255", "ssh {host}", result{ExitCode: 255, Err: exit}, actuators.Transient},
		{"ssh auth", "ssh {host}", result{ExitCode: 255, Err: exit, Output: "Permission denied (publickey)."}, actuators.Permanent},
		{"unknown", "", result{ExitCode: 1, Err: exit, Output: "something odd"}, actuators.Permanent},
	}
	for _, tt := range tests {
		v := NewVIP(VIPOptions{Address: testVIP, Interface: "eth0", RemoteExecPrefix: tt.prefix, Logger: zerolog.Nop()})
		err := v.classify("add vip", h, "cmd", tt.res)
		if got := actuators.KindOf(err); got != tt.want {
			t.Errorf("%s: kind %v, want %v (%v)", tt.name, got, tt.want, err)
		}
	}
}

// The runbook's hand-made VIP (`ip address add VIP dev eth0`, no prefix
// length) is seen and removed.
func TestVIPAddedByHandPerRunbook(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t, "a", "198.18.0.241")
	h := events.InstanceKey{Hostname: "198.18.0.241", Port: 3306}
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "address", "add", testVIP, "dev", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("add the VIP by hand: %v: %s", err, out)
	}
	v := netnsVIP(t, map[string]string{h.Hostname: ns}, nil)
	ctx := context.Background()
	if changed, err := v.Add(ctx, h); err != nil || changed {
		t.Fatalf("add over the hand-made VIP: %v %v", changed, err)
	}
	if changed, err := v.Remove(ctx, h); err != nil || !changed || nsHasVIP(t, ns) {
		t.Fatalf("remove: %v %v", changed, err)
	}
}
