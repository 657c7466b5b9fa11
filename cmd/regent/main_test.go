package main

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events/natsnode"
)

// TestMain lets the tests run this test binary as the regent command
// itself (RGTTEST_EXEC=1 regent.test serve …), so process-level tests
// need no separate build, and as a plain standalone NATS JetStream server
// (RGTTEST_NATS=port:storedir) standing for an existing NATS deployment.
func TestMain(m *testing.M) {
	if os.Getenv("RGTTEST_EXEC") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if spec := os.Getenv("RGTTEST_NATS"); spec != "" {
		os.Exit(runStandaloneNATS(spec))
	}
	os.Exit(m.Run())
}

// The standalone server's only user.
const externalUser, externalPassword = "ops", "external-pw"

func runStandaloneNATS(spec string) int {
	port, dir, _ := cutColon(spec)
	p, err := strconv.Atoi(port)
	if err != nil {
		return 2
	}
	n, err := natsnode.Start(natsnode.Options{Name: "external", StoreDir: dir, ClientHost: "127.0.0.1", ClientPort: p,
		User: externalUser, Password: externalPassword,
		MaxMemory: 64 << 20, MaxStore: 1 << 30, Logger: zerolog.New(os.Stderr)}, 10*time.Second)
	if err != nil {
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	n.Shutdown()
	return 0
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
