package main

import "testing"

// submit-masters-to-kv-stores sends -a (or nothing: every cluster) and
// prints orchestrator-client's `.[] | (.Key + ":" + .Value)` lines.
func TestSubmitMastersToKVStoresCommand(t *testing.T) {
	pairs := `[{"Key":"mysql/master/main","Value":"198.18.0.1:3306"},{"Key":"mysql/master/main/hostname","Value":"198.18.0.1"},` +
		`{"Key":"mysql/master/main/port","Value":"3306"},{"Key":"mysql/master/main/ipv4","Value":"198.18.0.1"},{"Key":"mysql/master/main/ipv6","Value":""}]`
	routes := map[string]canned{
		"/api/submit-masters-to-kv-stores/main": {200, `{"Code":"OK","Message":"Submitted 5 masters","Details":` + pairs + `}`},
		"/api/submit-masters-to-kv-stores":      {200, `{"Code":"OK","Message":"Submitted 0 masters","Details":null}`},
		"/api/submit-masters-to-kv-stores/nosuch": {500,
			`{"Code":"ERROR","Message":"Unable to determine cluster name. clusterHint=nosuch","Details":null}`},
	}
	want := "mysql/master/main:198.18.0.1:3306\nmysql/master/main/hostname:198.18.0.1\nmysql/master/main/port:3306\n" +
		"mysql/master/main/ipv4:198.18.0.1\nmysql/master/main/ipv6:\n"
	runCases(t, routes, []cliCase{
		{name: "one cluster", args: []string{"-c", "submit-masters-to-kv-stores", "-a", "main"}, wantOut: want,
			wantURIs: []string{"/api/submit-masters-to-kv-stores/main"}},
		{name: "every cluster", args: []string{"-c", "submit-masters-to-kv-stores"},
			wantURIs: []string{"/api/submit-masters-to-kv-stores"}},
		{name: "unknown alias", args: []string{"-c", "submit-masters-to-kv-stores", "-a", "nosuch"}, wantCode: 1,
			wantErr: "Unable to determine cluster name. clusterHint=nosuch\n"},
	})
}

// reload-configuration prints the node's answer; a refusal is an ERROR
// naming the keys, exit 1.
func TestReloadConfigurationCommand(t *testing.T) {
	runCases(t, map[string]canned{"/api/reload-configuration": {200, `{"Code":"OK","Message":"Config reloaded","Details":""}`}}, []cliCase{
		{name: "applied", args: []string{"-c", "reload-configuration"}, wantOut: "Config reloaded\n", wantURIs: []string{"/api/reload-configuration"}},
	})
	refused := `{"Code":"ERROR","Message":"config reload refused: RaftNodes cannot change while the node runs (restart it); nothing was applied","Details":{"Changed":["RaftNodes"]}}`
	runCases(t, map[string]canned{"/api/reload-configuration": {500, refused}}, []cliCase{
		{name: "refused", args: []string{"-c", "reload-configuration"}, wantCode: 1,
			wantOut: "{\"Changed\":[\"RaftNodes\"]}\n",
			wantErr: "config reload refused: RaftNodes cannot change while the node runs (restart it); nothing was applied\n"},
	})
}
