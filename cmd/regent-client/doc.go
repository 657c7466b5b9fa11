// Command regent-client is a drop-in replacement for orchestrator-client,
// written in Go and talking to Regent's orchestrator-compatible HTTP API.
//
// It accepts orchestrator-client's flags (-c -i -d -s -a -o -r -u -R -t -l
// -H -D -U -P -q -b -e -n -S and their long forms with one or two dashes),
// reads the same environment (REGENT_API, then ORCHESTRATOR_API with one or
// several space-separated URLs, ORCHESTRATOR_INSTANCE,
// ORCHESTRATOR_AUTH_USER/_PASSWORD, ORCHESTRATOR_AUTH_USER_HEADER), issues
// the same GET requests and prints the same text, without curl or jq.
//
// Layout: main.go wires the process (streams, environment, exit status);
// flags.go parses the command line; client.go chooses the API endpoint
// (leader discovery), performs requests with orchestrator-client's retry
// schedule and reads the {Code, Message, Details} envelope; render.go holds
// the jq-like helpers that turn JSON into text; commands.go is the dispatch
// table machinery and help; cmd_read.go and cmd_write.go hold the commands.
//
// Exit status is 0 on success and 1 on any failure, usage errors included,
// as orchestrator-client does. See docs/client.md.
package main
