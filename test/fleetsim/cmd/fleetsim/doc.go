// Command fleetsim serves one shard of a simulated MariaDB fleet (see
// package fleetsim) until stdin closes or it gets SIGTERM/SIGINT.
//
//	fleetsim -instances 10000 -octet 42 -shard 0 -shards 5
//
// It prints "ready" once every instance of its shard listens, then answers
// commands read from stdin, one a line:
//
//	kill HOST:PORT   kill a primary (SIGKILL-like); answers "ok" or "error …"
//	revive HOST:PORT bring a killed instance back; answers "ok" or "error …"
//	queries          the number of statements answered so far
package main
