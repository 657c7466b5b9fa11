package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/test/lab"
)

// TestReadmeDemo runs the README's first command's script (scripts/demo,
// which `make demo` runs after building) with freshly built binaries, so
// that the README stays true: lab up, 3 Regent nodes, discover, topology,
// a SIGKILL failover with the VIP moved, the recovery in the event log, and
// nothing left behind. It needs root and the lab's packages, as every lab
// test; scripts/demo takes the lab's lock itself.
func TestReadmeDemo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestReadmeDemo needs root (network namespaces, mariadbd): run `make test` as root")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	demo := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts/demo"))
	demo.Dir = root
	demo.Env = append(os.Environ(), "REGENT_BIN="+lab.Build(t, "regent"),
		"REGENT_CLIENT_BIN="+lab.Build(t, "regent-client"), "DEMO_KEEP=0")
	demo.WaitDelay = 30 * time.Second
	outb, err := demo.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("scripts/demo: %v\n%s", err, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^198\.18\.0\.1:3306\s+\[\S*,ok,[^\]]*,rw,ROW,>>\]$`),            // the discovered primary (no GTID token: orchestrator takes it from the instance's own Using_Gtid)
		regexp.MustCompile(`(?m)^\+ 198\.18\.0\.[23]:3306\s+\[\S*,ok,[^\]]*,ro,ROW,>>,GTID\]$`), // a replica under it
		regexp.MustCompile(`host [23] promoted, VIP moved, after \d+ ms`),
		regexp.MustCompile(`recovery-completed`),
		regexp.MustCompile(`Recovered from DeadMaster\w* on 198\.18\.0\.1:3306\. Failed: 198\.18\.0\.1:3306; Successor: 198\.18\.0\.[23]:3306`), // the hook ran
		regexp.MustCompile(`==> demo done`),
	} {
		if !want.MatchString(out) {
			t.Errorf("demo output lacks %q\n%s", want, out)
		}
	}
	ns, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	if strings.Contains(string(ns), "rgt-") {
		t.Errorf("the demo left namespaces behind:\n%s", ns)
	}
	t.Logf("demo output:\n%s", out)
}
