// Package events is Regent's vocabulary: the envelope every fact travels in,
// the closed set of event kinds, the payload types and their versions, the
// subject scheme and the stream specifications.
//
// Rules:
//   - Kinds are typed constants with fixed numbers and fixed names. A kind is
//     never renumbered or renamed; a retired kind keeps its number.
//   - Payloads are versioned. Writers always write the current version;
//     readers upgrade older versions on read (see Decode).
//   - This package imports the standard library only. The JetStream adapter
//     lives in events/eventlog, the embedded server in events/natsnode.
//
// Nothing in this package does I/O or keeps mutable package state.
package events
