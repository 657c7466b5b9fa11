// Package tlstest makes throw-away certificate authorities and leaf
// certificates for tests of Regent's TLS paths (the HTTPS API, NATS client
// TLS, MySQL topology TLS). Keys are ECDSA P-256, valid for an hour around
// now.
package tlstest
