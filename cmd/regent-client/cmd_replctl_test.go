package main

import "testing"

func replCtlRoutes() map[string]canned {
	ok := func(body string) canned { return canned{200, body} }
	key := func(h string) string { return `{"Hostname":"` + h + `","Port":3306}` }
	moved := func(h, m string) canned { return ok(envelope(`{"Key":` + key(h) + `,"MasterKey":` + key(m) + `}`)) }
	r := map[string]canned{
		"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.000042": ok(envelope(`{"Key":` + key("198.18.0.1") + `}`)),
		"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.000001": {500, `{"Code":"ERROR","Message":"purge-binary-logs: replica 198.18.0.3:3306 still reads binary log mysql-bin.000001, before mysql-bin.000002: refusing to purge it (force to purge anyway)","Details":null}`},
		"/api/delay-replication/198.18.0.2/3306/3600":             ok(envelope(replicaOKJSON)),
		"/api/delay-replication/198.18.0.2/3306/1h":               {500, `{"Code":"ERROR","Message":"delay-replication: invalid seconds \"1h\" (-S): want a whole number 0..604800","Details":null}`},
		"/api/move-up/198.18.0.3/3306":                            moved("198.18.0.3", "198.18.0.1"),
		"/api/move-below/198.18.0.3/3306/198.18.0.2/3306":         moved("198.18.0.3", "198.18.0.2"),
		"/api/repoint/198.18.0.3/3306/198.18.0.1/3306":            moved("198.18.0.3", "198.18.0.1"),
	}
	for _, c := range []string{"enable-semi-sync-master", "disable-semi-sync-master", "enable-semi-sync-replica", "disable-semi-sync-replica",
		"stop-replica-nice", "skip-query", "detach-replica-master-host", "reattach-replica-master-host", "flush-binary-logs"} {
		r["/api/"+c+"/198.18.0.2/3306"] = ok(envelope(replicaOKJSON))
	}
	return r
}

// Each command calls orchestrator's path and prints what orchestrator-client
// prints: Details.Key for the instance commands, instance<source for moves.
func TestReplicationControlCommands(t *testing.T) {
	cases := []cliCase{
		{name: "purge-binary-logs", args: []string{"-c", "purge-binary-logs", "-i", "198.18.0.1", "-n", "mysql-bin.000042"}, wantOut: "198.18.0.1:3306\n",
			wantURIs: []string{"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.000042"}},
		{name: "purge-binary-logs --binlog=", args: []string{"--command", "purge-binary-logs", "-i", "198.18.0.1:3306", "--binlog=mysql-bin.000042"}, wantOut: "198.18.0.1:3306\n"},
		{name: "purge-binary-logs refused", args: []string{"-c", "purge-binary-logs", "-i", "198.18.0.1", "-n", "mysql-bin.000001"}, wantCode: 1,
			wantErr: "purge-binary-logs: replica 198.18.0.3:3306 still reads binary log mysql-bin.000001, before mysql-bin.000002: refusing to purge it (force to purge anyway)\n"},
		{name: "purge-binary-logs without -n", args: []string{"-c", "purge-binary-logs", "-i", "198.18.0.1"}, wantCode: 1,
			wantErr: "regent-client[4242]: binlog must be provided (-n)\n", wantURIs: []string{}},
		// orchestrator-client prints the whole Details (jq layout), not the key.
		{name: "delay-replication", args: []string{"-c", "delay-replication", "-i", "198.18.0.2", "-S", "3600"}, wantOut: prettyJSON([]byte(replicaOKJSON)) + "\n",
			wantURIs: []string{"/api/delay-replication/198.18.0.2/3306/3600"}},
		{name: "delay-replication bad -S", args: []string{"-c", "delay-replication", "-i", "198.18.0.2", "--seconds", "1h"}, wantCode: 1,
			wantErr: "delay-replication: invalid seconds \"1h\" (-S): want a whole number 0..604800\n"},
		{name: "delay-replication without -S", args: []string{"-c", "delay-replication", "-i", "198.18.0.2"}, wantCode: 1,
			wantErr: "regent-client[4242]: seconds must be provided (-S)\n", wantURIs: []string{}},
		{name: "move-up", args: []string{"-c", "move-up", "-i", "198.18.0.3"}, wantOut: "198.18.0.3:3306<198.18.0.1:3306\n",
			wantURIs: []string{"/api/move-up/198.18.0.3/3306"}},
		{name: "move-below", args: []string{"-c", "move-below", "-i", "198.18.0.3", "-d", "198.18.0.2"}, wantOut: "198.18.0.3:3306<198.18.0.2:3306\n"},
		{name: "move-below without -d", args: []string{"-c", "move-below", "-i", "198.18.0.3"}, wantCode: 1,
			wantErr: "regent-client[4242]: destination must be provided (-d)\n", wantURIs: []string{}},
		{name: "repoint -s", args: []string{"-c", "repoint", "-i", "198.18.0.3", "-s", "198.18.0.1:3306"}, wantOut: "198.18.0.3:3306<198.18.0.1:3306\n"},
		{name: "stop-slave-nice synonym", args: []string{"-c", "stop-slave-nice", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n",
			wantURIs: []string{"/api/stop-replica-nice/198.18.0.2/3306"}},
		{name: "detach-slave-master-host synonym", args: []string{"-c", "detach-slave-master-host", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n",
			wantURIs: []string{"/api/detach-replica-master-host/198.18.0.2/3306"}},
		{name: "skip-query without -i", args: []string{"-c", "skip-query"}, wantCode: 1,
			wantErr: "regent-client[4242]: instance must be provided (-i)\n", wantURIs: []string{}},
	}
	for _, c := range []string{"enable-semi-sync-master", "disable-semi-sync-master", "enable-semi-sync-replica", "disable-semi-sync-replica",
		"stop-replica-nice", "skip-query", "reattach-replica-master-host", "flush-binary-logs"} {
		cases = append(cases, cliCase{name: c, args: []string{"-c", c, "-i", "198.18.0.2:3306"}, wantOut: "198.18.0.2:3306\n",
			wantURIs: []string{"/api/" + c + "/198.18.0.2/3306"}})
	}
	runCases(t, replCtlRoutes(), cases)
}
