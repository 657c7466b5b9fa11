// Package actuators carries out decisions on the managed servers: promoting a
// replica, re-pointing the others, fencing an old primary, moving the VIP and
// running hook scripts. The recovery engine here consumes failure events and
// drives the steps; each step's outcome is appended to the event log before
// the next one starts.
//
// Duties:
//   - Idempotency: every step checks the server's real state first and does
//     nothing (outcome "skipped") when it is already as wanted, so a node
//     that resumes a recovery can re-run any step safely.
//   - Fencing: every step is recorded with the holder's epoch and appended
//     with optimistic concurrency on the cluster's events; a deposed node's
//     append fails and it stops at once.
//   - Errors are classified (Kind): transient errors may be retried,
//     permanent and precondition errors fail the recovery loudly, fenced
//     errors stop the node's part without recording anything.
//
// The interfaces (DB, VIP, Hooks) are small and declared here, by their
// consumer; subpackages hold the implementations (actuators/mysql against
// MySQL/MariaDB, actuators/shell for VIP commands and hooks).
package actuators
