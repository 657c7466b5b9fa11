package lab

import (
	"testing"
	"time"
)

// Eventually calls cond every interval until it returns nil, and fails the test
// with the last error when timeout passes first. It is the harness's only way
// to wait: tests never sleep bare.
func Eventually(t testing.TB, timeout, interval time.Duration, cond func() error) {
	t.Helper()
	if err := poll(timeout, interval, cond); err != nil {
		t.Fatalf("eventually: not within %v: %v", timeout, err)
	}
}

// poll is Eventually without a test: it returns the last error on timeout.
func poll(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().Add(interval).After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}
