// Package contract is the behaviour every actuators.DB must show, written
// once and run against each implementation: the in-memory fake
// (actuators/fake) and the real MySQL/MariaDB actuator on the lab
// (actuators/mysql). A recovery relies on exactly these properties:
// idempotent steps, the promote flow, re-pointing with slave_pos and
// current_pos, bounded waits, and error kinds.
package contract
