package main

import "testing"

func bulkRoutes() map[string]canned {
	ok := func(body string) canned { return canned{200, body} }
	key := func(h string) string { return `{"Hostname":"` + h + `","Port":3306}` }
	inst := func(h, m string) string { return `{"Key":` + key(h) + `,"MasterKey":` + key(m) + `}` }
	moved := envelope(`[` + inst("198.18.0.3", "198.18.0.2") + `,` + inst("198.18.0.4", "198.18.0.2") + `]`)
	return map[string]canned{
		"/api/relocate-replicas/198.18.0.1/3306/198.18.0.2/3306":  ok(moved),
		"/api/move-replicas-gtid/198.18.0.1/3306/198.18.0.2/3306": ok(envelope(key("198.18.0.2"))),
		"/api/move-up-replicas/198.18.0.5/3306":                   ok(moved),
		"/api/repoint-replicas/198.18.0.2/3306":                   ok(moved),
		"/api/regroup-replicas/198.18.0.1/3306":                   ok(envelope(key("198.18.0.2"))),
		"/api/take-siblings/198.18.0.2/3306":                      ok(envelope(inst("198.18.0.2", "198.18.0.1"))),
		"/api/take-master/198.18.0.4/3306":                        ok(envelope(inst("198.18.0.4", "198.18.0.1"))),
		"/api/make-co-master/198.18.0.2/3306":                     {500, `{"Code":"ERROR","Message":"make-co-master: Regent does not run co-master topologies","Details":null}`},
		"/api/relocate-below/198.18.0.4/3306/198.18.0.2/3306":     ok(envelope(inst("198.18.0.4", "198.18.0.2"))),
		"/api/move-below-gtid/198.18.0.4/3306/198.18.0.2/3306":    ok(envelope(inst("198.18.0.4", "198.18.0.2"))),
		"/api/enable-gtid/198.18.0.3/3306":                        ok(envelope(inst("198.18.0.3", "198.18.0.2"))),
		"/api/disable-gtid/198.18.0.3/3306":                       ok(envelope(inst("198.18.0.3", "198.18.0.2"))),
		"/api/recover/198.18.0.1/3306/198.18.0.3/3306":            ok(envelope(key("198.18.0.3"))),
		"/api/recover-lite/198.18.0.1/3306":                       ok(envelope(key("198.18.0.2"))),
		"/api/recover-lite/198.18.0.1/3306/198.18.0.3/3306":       ok(envelope(key("198.18.0.3"))),
	}
}

// TestBulkCommands: each command calls orchestrator's path and prints what
// orchestrator-client prints for the answer.
func TestBulkCommands(t *testing.T) {
	two := "198.18.0.3:3306\n198.18.0.4:3306\n"
	runCases(t, bulkRoutes(), []cliCase{
		{name: "relocate-replicas", args: []string{"-c", "relocate-replicas", "-i", "198.18.0.1", "-d", "198.18.0.2"}, wantOut: two},
		{name: "move-replicas-gtid", args: []string{"-c", "move-replicas-gtid", "-i", "198.18.0.1", "-d", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "move-up-replicas", args: []string{"-c", "move-up-replicas", "-i", "198.18.0.5"}, wantOut: two},
		{name: "repoint-replicas", args: []string{"-c", "repoint-replicas", "-i", "198.18.0.2"}, wantOut: two},
		{name: "regroup-replicas", args: []string{"-c", "regroup-replicas", "-i", "198.18.0.1"}, wantOut: "198.18.0.2:3306\n"},
		{name: "take-siblings", args: []string{"-c", "take-siblings", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306<198.18.0.1:3306\n"},
		{name: "take-master", args: []string{"-c", "take-master", "-i", "198.18.0.4"}, wantOut: "198.18.0.4:3306<198.18.0.1:3306\n"},
		{name: "make-co-master refused", args: []string{"-c", "make-co-master", "-i", "198.18.0.2"},
			wantErr: "make-co-master: Regent does not run co-master topologies\n", wantCode: 1},
		{name: "relocate-below", args: []string{"-c", "relocate-below", "-i", "198.18.0.4", "-d", "198.18.0.2"}, wantOut: "198.18.0.4:3306<198.18.0.2:3306\n"},
		{name: "move-below-gtid", args: []string{"-c", "move-below-gtid", "-i", "198.18.0.4", "-d", "198.18.0.2"}, wantOut: "198.18.0.4:3306<198.18.0.2:3306\n"},
		{name: "enable-gtid", args: []string{"-c", "enable-gtid", "-i", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n"},
		{name: "disable-gtid", args: []string{"-c", "disable-gtid", "-i", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n"},
		{name: "recover with a candidate", args: []string{"-c", "recover", "-i", "198.18.0.1", "-d", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n",
			wantURIs: []string{"/api/recover/198.18.0.1/3306/198.18.0.3/3306"}},
		{name: "recover-lite", args: []string{"-c", "recover-lite", "-i", "198.18.0.1"}, wantOut: "198.18.0.2:3306\n"},
		{name: "recover-lite with a candidate", args: []string{"-c", "recover-lite", "-i", "198.18.0.1", "-d", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n"},
		{name: "relocate-replicas needs -d", args: []string{"-c", "relocate-replicas", "-i", "198.18.0.1"}, wantErr: "regent-client[4242]: destination must be provided (-d)\n", wantCode: 1},
	})
}
