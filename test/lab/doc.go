// Package lab is the Go harness for Regent's multi-host MariaDB lab
// (scripts/lab, described in docs/lab.md). Integration tests use it to bring a
// lab up and down, inject faults, run processes inside the lab's network
// namespaces, wait for conditions with deadlines, and check the invariant
// oracle at the end of a scenario.
//
// Rules:
//   - Up fails the test (never skips) when it is not root or MariaDB is
//     missing, and registers the teardown, which also runs when the test fails.
//   - Only one lab exists at a time: Up holds an exclusive file lock
//     (LAB_DIR + ".lock", default /tmp/regent-lab.lock) until the teardown, so
//     tests of different packages that use the lab serialise. Lab tests must
//     not call t.Parallel.
//   - Lab methods that return no error fail the test instead; call them from
//     the test's goroutine.
//   - Every process the harness starts is stopped by its pid; every loop is
//     bounded in time.
package lab
