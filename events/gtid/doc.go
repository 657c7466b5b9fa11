// Package gtid is Regent's one implementation of GTID sets for both
// flavors: MySQL sets (server UUID, optional 8.4 tag, sequence intervals)
// and MariaDB lists (domain-server_id-sequence, read as positions or as
// gtid_binlog_state). It parses, formats, compares, subtracts and unites
// them, and computes errant transactions. It is pure: no I/O, no clock, no
// package state; values are immutable and safe for concurrent use. Parsers
// never panic on odd server answers: they return an error wrapping
// ErrInvalidGTID that quotes the offending part (callers add the instance).
// It imports the standard library only, so every package may use it.
package gtid
