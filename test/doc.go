// Package test holds Regent's cross-package checks (package docs,
// dependency direction) and, in subpackages, the harnesses integration tests
// use: natstest (embedded NATS nodes) and lab (MariaDB hosts in network
// namespaces with an invariant oracle).
package test
