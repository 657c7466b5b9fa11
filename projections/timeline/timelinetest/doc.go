// Package timelinetest builds event transcripts for tests of the audit
// commands: a three-host MariaDB cluster watched by three Regent nodes, a
// dead primary, and the recovery the current analysis code decides, with
// its steps, VIP move and hooks.
package timelinetest
