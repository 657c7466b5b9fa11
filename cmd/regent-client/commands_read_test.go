package main

import (
	"reflect"
	"strings"
	"testing"
)

// Instance JSON samples with orchestrator's field names (and spellings).
const (
	primaryJSON = `{"Key":{"Hostname":"198.18.0.1","Port":3306},"InstanceAlias":"","ServerID":1,
		"Version":"10.11.6-MariaDB-log","FlavorName":"MariaDB","ReadOnly":false,
		"MasterKey":{"Hostname":"","Port":0},"ReplicationSQLThreadRuning":false,"ReplicationIOThreadRuning":false,
		"ReplicationSQLThreadState":-1,"ReplicationIOThreadState":-1,"LastSQLError":"","LastIOError":"",
		"SecondsBehindMaster":{"Int64":0,"Valid":false},"GtidErrant":"","ClusterName":"198.18.0.1:3306",
		"Replicas":[{"Hostname":"198.18.0.2","Port":3306},{"Hostname":"198.18.0.3","Port":3306}]}`
	replicaOKJSON = `{"Key":{"Hostname":"198.18.0.2","Port":3306},"MasterKey":{"Hostname":"198.18.0.1","Port":3306},
		"ReplicationSQLThreadRuning":true,"ReplicationIOThreadRuning":true,"ReplicationSQLThreadState":1,
		"ReplicationIOThreadState":1,"ReplicationSQLThreadState":1,"LastSQLError":"","LastIOError":"",
		"SecondsBehindMaster":{"Int64":0,"Valid":true},"GtidErrant":"","ClusterName":"198.18.0.1:3306"}`
	replicaBrokenJSON = `{"Key":{"Hostname":"198.18.0.3","Port":3306},"MasterKey":{"Hostname":"198.18.0.1","Port":3306},
		"ReplicationSQLThreadRuning":false,"ReplicationIOThreadRuning":true,"ReplicationSQLThreadState":0,
		"ReplicationIOThreadState":1,"LastSQLError":"Error 'Duplicate entry' on query","LastIOError":"",
		"GtidErrant":"00020192-1111-1111-1111-111111111111:1-3","ClusterName":"198.18.0.1:3306"}`
	replicaStoppedJSON = `{"Key":{"Hostname":"198.18.0.4","Port":3306},"MasterKey":{"Hostname":"198.18.0.1","Port":3306},
		"ReplicationSQLThreadRuning":false,"ReplicationIOThreadRuning":false,"ReplicationSQLThreadState":0,
		"ReplicationIOThreadState":0,"LastSQLError":"","LastIOError":"","ClusterName":"198.18.0.1:3306"}`

	topologyText = "198.18.0.1:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>]\n" +
		"+ 198.18.0.2:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]\n" +
		"- 198.18.0.3:3306 [null,nonreplicating,10.11.6-MariaDB-log,ro,ROW,>>,GTID:errant]"
	tabulatedText = "198.18.0.1:3306  |0s|ok|10.11.6-MariaDB-log|rw|ROW|>>     \n" +
		"+ 198.18.0.2:3306|0s|ok|10.11.6-MariaDB-log|ro|ROW|>>,GTID"
	clustersInfoJSON = `[{"ClusterName":"198.18.0.1:3306","ClusterAlias":"main","ClusterDomain":"","CountInstances":3,"HeuristicLag":0,"HasAutomatedMasterRecovery":true,"HasAutomatedIntermediateMasterRecovery":true},{"ClusterName":"198.18.0.9:3306","ClusterAlias":"","CountInstances":1}]`
	analysisJSON     = `{"Code":"OK","Message":"Analysis","Details":[
		{"AnalyzedInstanceKey":{"Hostname":"198.18.0.1","Port":3306},"ClusterDetails":{"ClusterName":"198.18.0.1:3306","ClusterAlias":"main"},"Analysis":"DeadMaster","StructureAnalysis":null},
		{"AnalyzedInstanceKey":{"Hostname":"198.18.0.9","Port":3306},"ClusterDetails":{"ClusterName":"198.18.0.9:3306"},"Analysis":"NoProblem","StructureAnalysis":["NoWriteableMasterStructureWarning"]},
		{"AnalyzedInstanceKey":{"Hostname":"198.18.0.7","Port":3306},"ClusterDetails":{"ClusterName":"198.18.0.7:3306"},"Analysis":"NoProblem","StructureAnalysis":[]}]}`
)

func envelope(details string) string {
	return `{"Code":"OK","Message":"done","Details":` + details + `}`
}

// readRoutes is orchestrator's answers for a three-node MariaDB cluster.
func readRoutes() map[string]canned {
	ok := func(body string) canned { return canned{200, body} }
	return map[string]canned{
		"/api/discover/198.18.0.1/3306":           ok(envelope(primaryJSON)),
		"/api/async-discover/198.18.0.5/3306":     ok(`{"Code":"OK","Message":"Asynchronous discovery initiated","Details":null}`),
		"/api/forget/198.18.0.3/3306":             ok(`{"Code":"OK","Message":"Instance forgotten","Details":{"Hostname":"198.18.0.3","Port":3306}}`),
		"/api/forget-cluster/main":                ok(`{"Code":"OK","Message":"Cluster forgotten","Details":"198.18.0.1:3306"}`),
		"/api/search?s=198.18.0":                  ok(`[` + primaryJSON + `,` + replicaOKJSON + `]`),
		"/api/search?s=maria%20db%2F1":            ok(`null`),
		"/api/topology/198.18.0.1:3306":           ok(envelope(`"` + strings.ReplaceAll(topologyText, "\n", `\n`) + `"`)),
		"/api/topology/198.18.0.2":                ok(envelope(`"` + strings.ReplaceAll(topologyText, "\n", `\n`) + `"`)),
		"/api/topology/main":                      ok(envelope(`"` + strings.ReplaceAll(topologyText, "\n", `\n`) + `"`)),
		"/api/topology-tabulated/198.18.0.1:3306": ok(envelope(`"` + strings.ReplaceAll(tabulatedText, "\n", `\n`) + `"`)),
		"/api/clusters-info":                      ok(clustersInfoJSON),
		"/api/instance/198.18.0.1/3306":           ok(primaryJSON),
		"/api/instance/198.18.0.2/3306":           ok(replicaOKJSON),
		"/api/instance/198.18.0.3/3306":           ok(replicaBrokenJSON),
		"/api/instance/198.18.0.4/3306":           ok(replicaStoppedJSON),
		"/api/instance-replicas/198.18.0.1/3306":  ok(`[` + replicaOKJSON + `,` + replicaBrokenJSON + `,` + replicaStoppedJSON + `]`),
		"/api/cluster-info/198.18.0.2:3306":       ok(clustersInfoJSON[1 : strings.Index(clustersInfoJSON, "},{")+1]),
		"/api/cluster-info/main":                  ok(clustersInfoJSON[1 : strings.Index(clustersInfoJSON, "},{")+1]),
		"/api/master/198.18.0.3:3306":             ok(primaryJSON),
		"/api/cluster/main":                       ok(`[` + primaryJSON + `,` + replicaOKJSON + `,` + replicaBrokenJSON + `]`),
		"/api/all-instances":                      ok(`[` + primaryJSON + `,` + replicaOKJSON + `]`),
		"/api/masters":                            ok(`[` + primaryJSON + `]`),
		"/api/replication-analysis":               ok(analysisJSON),
		"/api/locate-gtid-errant/198.18.0.3/3306": ok(envelope(`["mariadb-bin.000002","mariadb-bin.000003"]`)),
		"/api/instance/198.18.0.8/3306":           {500, `{"Code":"ERROR","Message":"Cannot read instance: 198.18.0.8:3306","Details":null}`},
		"/api/topology/unknown":                   {500, `{"Code":"ERROR","Message":"Unable to determine cluster name. clusterHint=unknown","Details":null}`},
		"/api/instance/db1/3310":                  ok(`{"Key":{"Hostname":"db1","Port":3310}}`),
		"/api/discover/db1/3310":                  ok(envelope(`{"Key":{"Hostname":"db1","Port":3310}}`)),
	}
}

type cliCase struct {
	name     string
	args     []string
	wantOut  string
	wantErr  string
	wantCode int
	wantURIs []string // requests in order; nil = do not check
}

func runCases(t *testing.T, routes map[string]canned, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAPI(t, routes)
			res := runCLI(t, apiEnv(f), c.args...)
			if res.stdout != c.wantOut || res.stderr != c.wantErr || res.code != c.wantCode {
				t.Errorf("%q:\n got code %d stdout %q stderr %q\nwant code %d stdout %q stderr %q",
					c.args, res.code, res.stdout, res.stderr, c.wantCode, c.wantOut, c.wantErr)
			}
			got := append([]string{}, f.uris()...)
			if c.wantURIs != nil && !reflect.DeepEqual(got, c.wantURIs) {
				t.Errorf("%q: requests %q, want %q", c.args, got, c.wantURIs)
			}
		})
	}
}

func TestReadCommands(t *testing.T) {
	runCases(t, readRoutes(), []cliCase{
		{name: "discover", args: []string{"-c", "discover", "-i", "198.18.0.1:3306"}, wantOut: "198.18.0.1:3306\n", wantURIs: []string{"/api/discover/198.18.0.1/3306"}},
		{name: "discover default port -D", args: []string{"-c", "discover", "-i", "db1", "-D", "3310"}, wantOut: "db1:3310\n"},
		{name: "async-discover prints the meaningless key", args: []string{"-c", "async-discover", "-i", "198.18.0.5"}, wantOut: ":null\n"},
		{name: "forget", args: []string{"-c", "forget", "-i", "198.18.0.3"}, wantOut: "", wantURIs: []string{"/api/forget/198.18.0.3/3306"}},
		{name: "forget-cluster -a wins", args: []string{"-c", "forget-cluster", "-a", "main", "-i", "198.18.0.1"}, wantURIs: []string{"/api/forget-cluster/main"}},
		{name: "search", args: []string{"-c", "search", "-i", "198.18.0"}, wantOut: "198.18.0.1:3306\n198.18.0.2:3306\n"},
		{name: "search escapes and empty result", args: []string{"-c", "search", "-i", "maria db/1"}, wantOut: "", wantURIs: []string{"/api/search?s=maria%20db%2F1"}},
		{name: "topology verbatim", args: []string{"-c", "topology", "-i", "198.18.0.1:3306"}, wantOut: topologyText + "\n"},
		{name: "topology raw -i hint", args: []string{"-c", "topology", "-i", "198.18.0.2"}, wantOut: topologyText + "\n", wantURIs: []string{"/api/topology/198.18.0.2"}},
		{name: "topology alias", args: []string{"-c", "topology", "--alias", "main"}, wantOut: topologyText + "\n"},
		{name: "topology unknown cluster", args: []string{"-c", "topology", "-a", "unknown"}, wantErr: "Unable to determine cluster name. clusterHint=unknown\n", wantCode: 1},
		{name: "topology-tabulated", args: []string{"-c", "topology-tabulated", "-i", "198.18.0.1:3306"}, wantOut: tabulatedText + "\n"},
		{name: "clusters", args: []string{"-c", "clusters"}, wantOut: "198.18.0.1:3306\n198.18.0.9:3306\n"},
		{name: "clusters-alias", args: []string{"-c", "clusters-alias"}, wantOut: "198.18.0.1:3306,main\n198.18.0.9:3306,\n"},
		{name: "instance", args: []string{"-c", "instance", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "which-instance", args: []string{"-c", "which-instance", "-i", "198.18.0.2:3306"}, wantOut: "198.18.0.2:3306\n"},
		{name: "instance unknown", args: []string{"-c", "instance", "-i", "198.18.0.8"}, wantErr: "Cannot read instance: 198.18.0.8:3306\n", wantCode: 1},
		{name: "which-master of replica", args: []string{"-c", "which-master", "-i", "198.18.0.2"}, wantOut: "198.18.0.1:3306\n"},
		{name: "which-master of primary", args: []string{"-c", "which-master", "-i", "198.18.0.1"}, wantOut: ":0\n"},
		{name: "which-replicas", args: []string{"-c", "which-replicas", "-i", "198.18.0.1"}, wantOut: "198.18.0.2:3306\n198.18.0.3:3306\n198.18.0.4:3306\n"},
		{name: "which-broken-replicas", args: []string{"-c", "which-broken-replicas", "-i", "198.18.0.1"}, wantOut: "198.18.0.3:3306\n"},
		{name: "which-cluster", args: []string{"-c", "which-cluster", "-i", "198.18.0.2:3306"}, wantOut: "198.18.0.1:3306\n"},
		{name: "which-cluster-alias", args: []string{"-c", "which-cluster-alias", "-a", "main"}, wantOut: "main\n"},
		{name: "which-cluster-master", args: []string{"-c", "which-cluster-master", "-i", "198.18.0.3:3306"}, wantOut: "198.18.0.1:3306\n", wantURIs: []string{"/api/master/198.18.0.3:3306"}},
		{name: "which-cluster-instances", args: []string{"-c", "which-cluster-instances", "-a", "main"}, wantOut: "198.18.0.1:3306\n198.18.0.2:3306\n198.18.0.3:3306\n"},
		{name: "all-instances", args: []string{"-c", "all-instances"}, wantOut: "198.18.0.1:3306\n198.18.0.2:3306\n"},
		{name: "all-clusters-masters", args: []string{"-c", "all-clusters-masters"}, wantOut: "198.18.0.1:3306\n"},
		{name: "replication-analysis", args: []string{"-c", "replication-analysis"}, wantOut: "198.18.0.1:3306 (cluster 198.18.0.1:3306): DeadMaster\n" +
			"198.18.0.9:3306 (cluster 198.18.0.9:3306): NoWriteableMasterStructureWarning\n" +
			"198.18.0.7:3306 (cluster 198.18.0.7:3306): \n"},
		{name: "is-replicating yes", args: []string{"-c", "is-replicating", "-i", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "is-replicating no", args: []string{"-c", "is-replicating", "-i", "198.18.0.3"}, wantOut: ""},
		{name: "is-replicating primary", args: []string{"-c", "is-replicating", "-i", "198.18.0.1"}, wantOut: ""},
		{name: "is-replication-stopped yes", args: []string{"-c", "is-replication-stopped", "-i", "198.18.0.4"}, wantOut: "198.18.0.4:3306\n"},
		{name: "is-replication-stopped half", args: []string{"-c", "is-replication-stopped", "-i", "198.18.0.3"}, wantOut: ""},
		{name: "which-gtid-errant", args: []string{"-c", "which-gtid-errant", "-i", "198.18.0.3"}, wantOut: "00020192-1111-1111-1111-111111111111:1-3\n"},
		{name: "which-gtid-errant none", args: []string{"-c", "which-gtid-errant", "-i", "198.18.0.2"}, wantOut: "\n"},
		{name: "which-gtid-errant missing field", args: []string{"-c", "which-gtid-errant", "-i", "198.18.0.4"}, wantOut: "null\n"},
		{name: "locate-gtid-errant", args: []string{"-c", "locate-gtid-errant", "-i", "198.18.0.3"}, wantOut: "mariadb-bin.000002\nmariadb-bin.000003\n"},
	})
}

func TestAPICommand(t *testing.T) {
	runCases(t, readRoutes(), []cliCase{
		{name: "clusters-info pretty", args: []string{"-c", "api", "-P", "clusters-info"}, wantOut: prettyJSON([]byte(clustersInfoJSON)) + "\n"},
		{name: "leading slash", args: []string{"-c", "api", "--path", "/masters"}, wantOut: prettyJSON([]byte(`[`+primaryJSON+`]`)) + "\n", wantURIs: []string{"/api/masters"}},
		{name: "error prints raw JSON", args: []string{"-c", "api", "-P", "instance/198.18.0.8/3306"},
			wantOut: "{\n  \"Code\": \"ERROR\",\n  \"Message\": \"Cannot read instance: 198.18.0.8:3306\",\n  \"Details\": null\n}\n", wantCode: 1},
		{name: "needs -P", args: []string{"-c", "api"}, wantErr: "regent-client[4242]: path must be provided (-P)\n", wantCode: 1, wantURIs: []string{}},
	})
	if got := prettyJSON([]byte(clustersInfoJSON)); !strings.HasPrefix(got, "[\n  {\n    \"ClusterName\": \"198.18.0.1:3306\",\n    \"ClusterAlias\": \"main\",") {
		t.Errorf("pretty JSON layout is not jq's: %q", got[:60])
	}
}
