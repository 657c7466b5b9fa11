package events

import "net/netip"

// IsIPAddress reports whether s is an IPv4 or IPv6 address literal
// (orchestrator's hostname filters match such a filter exactly, not as a
// regular expression).
func IsIPAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
