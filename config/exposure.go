package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// APIExposureWarning is a warning when the HTTP API is reachable beyond
// this machine without authentication: ListenAddress is not a loopback
// address (":3000", "0.0.0.0:3000", a routable address or a host name
// other than localhost) and AuthenticationMethod is empty. Anyone who
// reaches the port can then run every write: fail over, disable
// recoveries, forget instances. "" when there is nothing to say. `regent
// serve` logs it at start and `regent config check` prints it.
func (c HTTP) APIExposureWarning() string {
	if c.AuthenticationMethod != "" || loopbackListen(c.ListenAddress) {
		return ""
	}
	return fmt.Sprintf("ListenAddress %q serves the HTTP API beyond this machine with no AuthenticationMethod: "+
		"anyone who reaches it can fail over, disable recoveries and forget instances; "+
		"set AuthenticationMethod (basic, multi or proxy) or listen on 127.0.0.1", c.ListenAddress)
}

// loopbackListen reports whether a listen address (host:port) accepts
// connections from this machine only. An empty host listens everywhere.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
