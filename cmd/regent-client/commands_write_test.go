package main

import (
	"strings"
	"testing"
)

// recoveryJSON is a TopologyRecovery as orchestrator returns it in Details.
const recoveryJSON = `{"Id":7,"UID":"abc","AnalysisEntry":{"Analysis":"DeadMaster"},
	"SuccessorKey":{"Hostname":"198.18.0.2","Port":3306},"SuccessorAlias":"","IsActive":false,"IsSuccessful":true,
	"LostReplicas":null,"AllErrors":[],"Type":"MasterRecovery"}`

func writeRoutes() map[string]canned {
	ok := func(body string) canned { return canned{200, body} }
	key := func(h string) string { return `{"Hostname":"` + h + `","Port":3306}` }
	return map[string]canned{
		"/api/start-replica/198.18.0.2/3306":                            ok(envelope(replicaOKJSON)),
		"/api/stop-replica/198.18.0.2/3306":                             ok(envelope(replicaOKJSON)),
		"/api/gtid-errant-inject-empty/198.18.0.3/3306":                 ok(envelope(replicaBrokenJSON)),
		"/api/set-read-only/198.18.0.1/3306":                            {500, `{"Code":"ERROR","Message":"Unauthorized","Details":null}`},
		"/api/relocate/198.18.0.3/3306/198.18.0.2/3306":                 ok(envelope(`{"Key":` + key("198.18.0.3") + `,"MasterKey":` + key("198.18.0.2") + `}`)),
		"/api/recover/198.18.0.1/3306":                                  ok(envelope(key("198.18.0.2"))),
		"/api/master/198.18.0.2:3306":                                   ok(primaryJSON),
		"/api/master/198.18.0.1:3306":                                   ok(primaryJSON),
		"/api/master/main":                                              ok(primaryJSON),
		"/api/graceful-master-takeover/198.18.0.1:3306/198.18.0.2/3306": ok(envelope(recoveryJSON)),
		"/api/graceful-master-takeover/main":                            ok(envelope(recoveryJSON)),
		"/api/graceful-master-takeover-auto/main":                       ok(envelope(recoveryJSON)),
		"/api/force-master-failover/main":                               ok(envelope(recoveryJSON)),
		"/api/force-master-takeover/main/198.18.0.2/3306":               ok(envelope(recoveryJSON)),
		"/api/register-candidate/198.18.0.2/3306/prefer":                ok(envelope(key("198.18.0.2"))),
		"/api/begin-downtime/198.18.0.3/3306/tester/disk%20swap/10m":    ok(envelope(key("198.18.0.3"))),
		"/api/begin-downtime/198.18.0.3/3306/ops/r/2h":                  ok(envelope(key("198.18.0.3"))),
		"/api/end-downtime/198.18.0.3/3306":                             ok(envelope(key("198.18.0.3"))),
		"/api/begin-maintenance/198.18.0.3/3306/tester/disk%20swap":     ok(envelope(key("198.18.0.3"))),
		"/api/begin-maintenance/198.18.0.2/3306/ops/r":                  {500, `{"Code":"ERROR","Message":"Cannot begin maintenance for instance: 198.18.0.2:3306; already in maintenance","Details":` + key("198.18.0.2") + `}`},
		"/api/end-maintenance/198.18.0.3/3306":                          ok(envelope(key("198.18.0.3"))),
		"/api/ack-recovery/cluster/main?comment=fixed%20it":             ok(envelope(`"198.18.0.1:3306"`)),
		"/api/ack-recovery/instance/198.18.0.1/3306?comment=ok":         ok(envelope(`1`)),
		"/api/ack-all-recoveries?comment=all%20good":                    ok(envelope(`3`)),
		"/api/disable-global-recoveries":                                ok(envelope(`"disabled"`)),
		"/api/enable-global-recoveries":                                 ok(envelope(`"enabled"`)),
		"/api/check-global-recoveries":                                  ok(envelope(`"enabled"`)),
		"/api/raft-state":                                               ok(`"Leader"`),
		"/api/raft-leader":                                              ok(`"198.18.0.1:10008"`),
		"/api/raft-health":                                              ok(`"healthy"`),
		"/api/status":                                                   ok(envelope(`{"Healthy":true,"Hostname":"regent-1","Token":"n1"}`)),
	}
}

func TestWriteCommands(t *testing.T) {
	runCases(t, writeRoutes(), []cliCase{
		{name: "start-replica", args: []string{"-c", "start-replica", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "start-slave synonym", args: []string{"-c", "start-slave", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n", wantURIs: []string{"/api/start-replica/198.18.0.2/3306"}},
		{name: "stop-slave long form", args: []string{"--command", "stop-slave", "-i", "198.18.0.2:3306"}, wantOut: "198.18.0.2:3306\n"},
		{name: "gtid-errant-inject-empty", args: []string{"-c", "gtid-errant-inject-empty", "-i", "198.18.0.3:3306"}, wantOut: "198.18.0.3:3306\n"},
		{name: "set-read-only refused", args: []string{"-c", "set-read-only", "-i", "198.18.0.1"}, wantErr: "Unauthorized\n", wantCode: 1},
		{name: "relocate", args: []string{"-c", "relocate", "-i", "198.18.0.3", "-d", "198.18.0.2"}, wantOut: "198.18.0.3:3306<198.18.0.2:3306\n"},
		{name: "recover", args: []string{"-c", "recover", "-i", "198.18.0.1"}, wantOut: "198.18.0.2:3306\n"},
		{name: "graceful takeover", args: []string{"-c", "graceful-master-takeover", "-i", "198.18.0.1:3306", "-d", "198.18.0.2:3306"}, wantOut: "198.18.0.2:3306\n",
			wantURIs: []string{"/api/master/198.18.0.1:3306", "/api/graceful-master-takeover/198.18.0.1:3306/198.18.0.2/3306"}},
		{name: "graceful takeover without -d", args: []string{"-c", "graceful-master-takeover", "-a", "main"}, wantOut: "198.18.0.2:3306\n",
			wantURIs: []string{"/api/graceful-master-takeover/main"}},
		{name: "graceful takeover auto", args: []string{"-c", "graceful-master-takeover-auto", "-a", "main"}, wantOut: "198.18.0.2:3306\n"},
		{name: "force-master-failover", args: []string{"-c", "force-master-failover", "-a", "main"}, wantOut: "198.18.0.2:3306\n"},
		{name: "force-master-takeover", args: []string{"-c", "force-master-takeover", "-a", "main", "-d", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "force-master-takeover -d primary", args: []string{"-c", "force-master-takeover", "-a", "main", "-d", "198.18.0.1"}, wantCode: 1,
			wantErr: "regent-client[4242]: force-master-takeover: -d must name the replica to promote; 198.18.0.1:3306 is the current primary. Use: -c force-master-takeover -a <cluster or any instance> -d <replica to promote>\n"},
		{name: "register-candidate", args: []string{"-c", "register-candidate", "-i", "198.18.0.2", "--promotion-rule", "prefer"}, wantOut: "198.18.0.2:3306\n"},
		{name: "begin-downtime defaults", args: []string{"-c", "begin-downtime", "-i", "198.18.0.3", "-r", "disk swap"}, wantOut: "198.18.0.3:3306\n"},
		{name: "begin-downtime flags", args: []string{"-c", "begin-downtime", "-i", "198.18.0.3", "-o", "ops", "-r", "r", "-u", "2h"}, wantOut: "198.18.0.3:3306\n"},
		{name: "end-downtime", args: []string{"-c", "end-downtime", "-i", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n"},
		{name: "begin-maintenance defaults", args: []string{"-c", "begin-maintenance", "-i", "198.18.0.3", "-r", "disk swap"}, wantOut: "198.18.0.3:3306\n",
			wantURIs: []string{"/api/begin-maintenance/198.18.0.3/3306/tester/disk%20swap"}},
		{name: "begin-maintenance refused", args: []string{"--command", "begin-maintenance", "-i", "198.18.0.2", "--owner", "ops", "--reason", "r"},
			wantOut: `{"Hostname":"198.18.0.2","Port":3306}` + "\n", wantErr: "Cannot begin maintenance for instance: 198.18.0.2:3306; already in maintenance\n", wantCode: 1},
		{name: "begin-maintenance without -r", args: []string{"-c", "begin-maintenance", "-i", "198.18.0.3"},
			wantErr: "regent-client[4242]: reason must be provided (-r)\n", wantCode: 1, wantURIs: []string{}},
		{name: "end-maintenance", args: []string{"-c", "end-maintenance", "-i", "198.18.0.3"}, wantOut: "198.18.0.3:3306\n"},
		{name: "ack-cluster-recoveries", args: []string{"-c", "ack-cluster-recoveries", "-a", "main", "-r", "fixed it"}, wantOut: "198.18.0.1:3306\n"},
		{name: "ack-instance-recoveries", args: []string{"-c", "ack-instance-recoveries", "-i", "198.18.0.1", "-r", "ok"}, wantOut: "1\n"},
		{name: "ack-all-recoveries", args: []string{"-c", "ack-all-recoveries", "-r", "all good"}, wantOut: "3\n"},
		{name: "disable-global-recoveries", args: []string{"-c", "disable-global-recoveries"}, wantOut: "disabled\n"},
		{name: "enable-global-recoveries", args: []string{"-c", "enable-global-recoveries"}, wantOut: "enabled\n"},
		{name: "check-global-recoveries", args: []string{"-c", "check-global-recoveries"}, wantOut: "enabled\n"},
		{name: "raft-leader", args: []string{"-c", "raft-leader"}, wantOut: "198.18.0.1:10008\n", wantURIs: []string{"/api/raft-state", "/api/raft-leader"}},
		{name: "raft-health", args: []string{"-c", "raft-health"}, wantOut: "healthy\n"},
		{name: "raft-leader-hostname", args: []string{"-c", "raft-leader-hostname"}, wantOut: "regent-1\n"},
	})
}

// The seed runbook types `-c graceful-master-takeover -a <new> -d <old>`.
// In orchestrator -a is only the cluster hint and -d the replica to
// promote; naming the current primary with -d is refused with the right form,
// before anything is asked of the server.
func TestGracefulTakeoverDesignatingThePrimary(t *testing.T) {
	runCases(t, writeRoutes(), []cliCase{{
		name:     "runbook form on the original topology",
		args:     []string{"-c", "graceful-master-takeover", "-a", "198.18.0.2:3306", "-d", "198.18.0.1:3306"},
		wantCode: 1,
		wantErr: "regent-client[4242]: graceful-master-takeover: -d must name the replica to promote; 198.18.0.1:3306 is the current primary. " +
			"Use: -c graceful-master-takeover -a <cluster or any instance> -d <replica to promote>\n",
		wantURIs: []string{"/api/master/198.18.0.2:3306"},
	}, {
		name:     "default port and case do not hide it",
		args:     []string{"-c", "graceful-master-takeover-auto", "-a", "main", "-d", "198.18.0.1"},
		wantCode: 1,
		wantErr: "regent-client[4242]: graceful-master-takeover-auto: -d must name the replica to promote; 198.18.0.1:3306 is the current primary. " +
			"Use: -c graceful-master-takeover-auto -a <cluster or any instance> -d <replica to promote>\n",
	}})
}

func TestRaftLeaderOnFollower(t *testing.T) {
	routes := writeRoutes()
	routes["/api/raft-state"] = canned{200, `"Follower"`}
	routes["/api/raft-health"] = canned{500, `{"Code":"ERROR","Message":"unhealthy","Details":"Candidate"}`}
	runCases(t, routes, []cliCase{
		{name: "raft-leader", args: []string{"-c", "raft-leader"}, wantErr: "regent-client[4242]: Cannot determine raft state\n", wantCode: 1, wantURIs: []string{"/api/raft-state"}},
		{name: "raft-health", args: []string{"-c", "raft-health"}, wantErr: "unhealthy\n", wantOut: "\"Candidate\"\n", wantCode: 1},
	})
}

func TestMissingArguments(t *testing.T) {
	cases := map[string][]string{
		"instance must be provided (-i)":             {"-c", "discover"},
		"instance|alias must be provided (-i or -a)": {"-c", "topology"},
		"destination must be provided (-d)":          {"-c", "relocate", "-i", "db1"},
		"reason must be provided (-r)":               {"-c", "ack-all-recoveries"},
		"promotion-rule must be provided (-R)":       {"-c", "register-candidate", "-i", "db1"},
		"owner must be provided (-o)":                {"-c", "begin-downtime", "-i", "db1", "-o", "", "-r", "x"},
		"duration must be provided (-u)":             {"-c", "begin-downtime", "-i", "db1", "-r", "x", "-u", ""},
	}
	for want, args := range cases {
		f := newFakeAPI(t, nil)
		res := runCLI(t, apiEnv(f), args...)
		if res.code != 1 || res.stderr != "regent-client[4242]: "+want+"\n" || res.stdout != "" {
			t.Errorf("%q: code %d stdout %q stderr %q, want %q", args, res.code, res.stdout, res.stderr, want)
		}
		if len(f.requests()) != 0 {
			t.Errorf("%q: a usage error must not call the API, saw %q", args, f.uris())
		}
	}
}

func TestCommandNameErrors(t *testing.T) {
	cases := map[string][]string{
		"regent-client[4242]: No command given. Use regent-client -c <command> [...] or regent-client --command <command> [...] to do something useful\n": {"-i", "db1"},
		"regent-client[4242]: Unsupported command frobnicate (see -c help)\n":                                                                             {"-c", "frobnicate"},
		"regent-client[4242]: Unsupported command match-up: orchestrator-client has it, regent-client does not implement it\n":                            {"-c", "match-up"},
	}
	for want, args := range cases {
		res := runCLI(t, nil, args...)
		if res.code != 1 || res.stderr != want {
			t.Errorf("%q: code %d stderr %q, want %q", args, res.code, res.stderr, want)
		}
	}
}

func TestHelpListsEveryCommandWithoutNetwork(t *testing.T) {
	for _, args := range [][]string{{"-c", "help"}, {"--help"}, {"-h"}} {
		res := runCLI(t, map[string]string{"ORCHESTRATOR_API": "http://127.0.0.1:1 http://127.0.0.1:2"}, args...)
		if res.code != 0 || !strings.HasPrefix(res.stdout, "Usage: regent-client -c <command> [flags...]\n") {
			t.Fatalf("%q: code %d stdout %.80q stderr %q", args, res.code, res.stdout, res.stderr)
		}
		for _, c := range commandTable() {
			if !strings.Contains(res.stdout, "\n  "+c.name+" ") {
				t.Errorf("help does not list %s", c.name)
			}
		}
	}
}

func TestCommandTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandTable() {
		if seen[c.name] {
			t.Errorf("duplicate command %s", c.name)
		}
		seen[c.name] = true
		if c.summary == "" {
			t.Errorf("%s has no summary", c.name)
		}
		if c.run == nil && (c.path == nil || c.output == nil) {
			t.Errorf("%s needs either run or path and output", c.name)
		}
		if strings.Contains(c.name, "slave") {
			t.Errorf("%s: commands are named with replica; slave is rewritten", c.name)
		}
	}
	for _, n := range orchestratorOnly() {
		if seen[n] {
			t.Errorf("%s is both implemented and listed as orchestrator-only", n)
		}
	}
}
