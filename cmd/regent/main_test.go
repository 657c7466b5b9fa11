package main

import (
	"os"
	"testing"
)

// TestMain lets the tests run this test binary as the regent command
// itself (REGENT_TEST_EXEC=1 regent.test serve …), so process-level tests
// need no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("REGENT_TEST_EXEC") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}
