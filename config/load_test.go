package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConf writes content to name in a fresh temp dir and returns the path.
func writeConf(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadString loads one file holding content, with env and flags.
func loadString(t *testing.T, content string, env []string, flags map[string]string) (Config, Report, string, error) {
	t.Helper()
	path := writeConf(t, "regent.conf.json", content)
	cfg, rep, err := Load(LoadOptions{Files: []string{path}, Env: env, Flags: flags})
	return cfg, rep, path, err
}

func messages(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Message + "\n")
	}
	return b.String()
}

func TestLoadSeed(t *testing.T) {
	cfg, rep, err := Load(LoadOptions{Files: []string{"testdata/orchestrator.conf.json"}})
	if err != nil {
		t.Fatalf("seed config: %v", err)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("seed config warnings:\n%s", messages(rep.Warnings))
	}
	if cfg.InstancePollSeconds != 5 || cfg.DefaultInstancePort != 3307 || cfg.MySQLConnectTimeoutSeconds != 1 {
		t.Errorf("InstancePollSeconds=%d DefaultInstancePort=%d MySQLConnectTimeoutSeconds=%d",
			cfg.InstancePollSeconds, cfg.DefaultInstancePort, cfg.MySQLConnectTimeoutSeconds)
	}
	if want := []string{"10.0.0.51", "10.0.0.52", "10.0.0.53"}; strings.Join(cfg.RaftNodes, ",") != strings.Join(want, ",") {
		t.Errorf("RaftNodes = %v, want %v", cfg.RaftNodes, want)
	}
	if len(cfg.PostFailoverProcesses) != 2 || !strings.Contains(cfg.PostFailoverProcesses[1], "orch_hook.sh {failureType}") {
		t.Errorf("PostFailoverProcesses = %q", cfg.PostFailoverProcesses)
	}
	if len(cfg.OnFailureDetectionProcesses) != 1 || len(cfg.PostUnsuccessfulFailoverProcesses) != 0 {
		t.Errorf("hooks: detection %q unsuccessful %q", cfg.OnFailureDetectionProcesses, cfg.PostUnsuccessfulFailoverProcesses)
	}
	if got := cfg.ClusterNameToAlias["127.0.0.1"]; got != "test suite" {
		t.Errorf("ClusterNameToAlias[127.0.0.1] = %q", got)
	}
	if cfg.MySQLHostnameResolveMethod != "@@report_host" || !cfg.DelayMasterPromotionIfSQLThreadNotUpToDate {
		t.Errorf("MySQLHostnameResolveMethod=%q Delay=%v", cfg.MySQLHostnameResolveMethod, cfg.DelayMasterPromotionIfSQLThreadNotUpToDate)
	}
	if cfg.RaftAdvertise != "10.0.0.51" || !cfg.Clustered() || cfg.NodeID() != "10.0.0.51:10008" {
		t.Errorf("RaftAdvertise=%q Clustered=%v NodeID=%q", cfg.RaftAdvertise, cfg.Clustered(), cfg.NodeID())
	}
	infos := messages(rep.Infos)
	for _, want := range []string{
		`key "BackendDB" (testdata/orchestrator.conf.json:152): accepted, not used by Regent`,
		`key "StatusSimpleHealth" (testdata/orchestrator.conf.json:87): accepted, not used by Regent`,
	} {
		if !strings.Contains(infos, want) {
			t.Errorf("infos lack %q:\n%s", want, infos)
		}
	}
	if len(rep.Files) != 1 || rep.Files[0] != "testdata/orchestrator.conf.json" {
		t.Errorf("Report.Files = %v", rep.Files)
	}
}

func TestCommentsAndUnicodeSurvive(t *testing.T) {
	content := "{\n" +
		"  /* 块注释 */\n" +
		"  \"WebMessage\": \"维护窗口 // not a comment\", // 网页消息\n" +
		"  \"RaftNodes\": [\"a\", \"b\",], // trailing comma in a list\n" +
		"  \"InstancePollSeconds\": 2,\n" +
		"}\n"
	cfg, rep, _, err := loadString(t, content, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WebMessage != "维护窗口 // not a comment" {
		t.Errorf("WebMessage = %q", cfg.WebMessage)
	}
	if len(cfg.RaftNodes) != 2 || cfg.InstancePollSeconds != 2 {
		t.Errorf("RaftNodes=%v InstancePollSeconds=%d", cfg.RaftNodes, cfg.InstancePollSeconds)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	content := "{\n  \"Debug\": true,\n  \"InstancePolSeconds\": 2,\n  \"Completely_Different\": 1\n}"
	cfg, rep, path, err := loadString(t, content, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `unknown key "InstancePolSeconds" (` + path + `:3): did you mean "InstancePollSeconds"?`
	if len(rep.Warnings) != 2 || rep.Warnings[0].Message != want {
		t.Fatalf("warnings:\n%s\nwant first: %s", messages(rep.Warnings), want)
	}
	if d := rep.Warnings[0]; d.Key != "InstancePolSeconds" || d.File != path || d.Line != 3 {
		t.Errorf("diagnostic = %+v", d)
	}
	if got := rep.Warnings[1].Message; got != `unknown key "Completely_Different" (`+path+`:4)` {
		t.Errorf("no-suggestion warning = %q", got)
	}
	if cfg.InstancePollSeconds != 5 {
		t.Errorf("unknown key changed InstancePollSeconds to %d", cfg.InstancePollSeconds)
	}
}

func TestCaseInsensitiveKey(t *testing.T) {
	cfg, rep, _, err := loadString(t, `{"instancepollseconds": 3}`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InstancePollSeconds != 3 {
		t.Errorf("InstancePollSeconds = %d, want 3", cfg.InstancePollSeconds)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, `is spelled "InstancePollSeconds"`) {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
}

func TestNestedMapKeysNotFlagged(t *testing.T) {
	content := `{"ClusterNameToAlias": {"InstancePolSeconds": "x", "db.example.com:3306": "main"}}`
	cfg, rep, _, err := loadString(t, content, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
	if cfg.ClusterNameToAlias["db.example.com:3306"] != "main" || len(cfg.ClusterNameToAlias) != 2 {
		t.Errorf("ClusterNameToAlias = %v", cfg.ClusterNameToAlias)
	}
}

func TestWrongTypeNamesKeyAndLine(t *testing.T) {
	content := "{\n  // line 2\n  \"Debug\": true,\n\n  \"ListenAddress\": \":3000\",\n  \"RaftNodes\": [],\n  \"InstancePollSeconds\": \"five\",\n  \"ReadOnly\": 1,\n  \"RaftNodes\": [1],\n  \"DefaultInstancePort\": 3306.5,\n  \"InstancePollMilliseconds\": -1,\n  \"FailMasterPromotionOnLagMinutes\": -2\n}"
	cfg, _, path, err := loadString(t, content, nil, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	if cfg.InstancePollSeconds != 0 || cfg.ListenAddress != "" {
		t.Errorf("config not zero on error: %+v", cfg.Discovery)
	}
	for _, want := range []string{
		path + `:7: key "InstancePollSeconds": want a number, got string "five"`,
		path + `:8: key "ReadOnly": want a boolean (true or false), got number 1`,
		path + `:9: key "RaftNodes": want a list of strings, got number 1 at index 0`,
		path + `:10: key "DefaultInstancePort": want a whole number, got number 3306.5`,
		path + `:12: key "FailMasterPromotionOnLagMinutes": want a number ≥ 0, got number -2`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%v", want, err)
		}
	}
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "InstancePollSeconds" || ke.Line != 7 || ke.File != path {
		t.Errorf("first KeyError = %+v", ke)
	}
}

func TestValidationErrorHasLine(t *testing.T) {
	content := "{\n  \"Debug\": false,\n  \"AuthenticationMethod\": \"token\"\n}"
	_, _, path, err := loadString(t, content, nil, nil)
	want := path + `:3: key "AuthenticationMethod": "token" is not supported by Regent`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestLayersOverride(t *testing.T) {
	content := `{"InstancePollSeconds": 3, "RaftNodes": ["f1"], "ListenAddress": ":3001", "ClusterNameToAlias": {"a": "file"}}`
	env := []string{
		"PATH=/usr/bin",
		"REGENT_InstancePollSeconds=4",
		"REGENT_RAFTNODES=e1, e2",
		`REGENT_ClusterNameToAlias={"b": "env"}`,
		`REGENT_DiscoverySeeds=["h1:3306","h2:3306"]`,
	}
	cfg, _, _, err := loadString(t, content, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InstancePollSeconds != 4 || strings.Join(cfg.RaftNodes, ",") != "e1,e2" || cfg.ListenAddress != ":3001" {
		t.Errorf("env layer: poll=%d nodes=%v listen=%q", cfg.InstancePollSeconds, cfg.RaftNodes, cfg.ListenAddress)
	}
	if cfg.ClusterNameToAlias["a"] != "file" || cfg.ClusterNameToAlias["b"] != "env" {
		t.Errorf("maps merge across layers: %v", cfg.ClusterNameToAlias)
	}
	if len(cfg.DiscoverySeeds) != 2 {
		t.Errorf("JSON list from env: %v", cfg.DiscoverySeeds)
	}
	cfg, _, _, err = loadString(t, content, env, map[string]string{"InstancePollSeconds": "6", "ReadOnly": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InstancePollSeconds != 6 || !cfg.ReadOnly {
		t.Errorf("flags layer: poll=%d readonly=%v", cfg.InstancePollSeconds, cfg.ReadOnly)
	}
}

func TestEnvAndFlagProblems(t *testing.T) {
	_, rep, _, err := loadString(t, `{}`, []string{"REGENT_InstancePollSecond=2", "REGENT_ReadOnly=maybe"},
		map[string]string{"NoSuchKey": "1"})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`env REGENT_ReadOnly: key "ReadOnly": want a boolean (true or false), got "maybe"`,
		`flag NoSuchKey: unknown key "NoSuchKey"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%v", want, err)
		}
	}
	if !strings.Contains(messages(rep.Warnings), `unknown key "InstancePollSecond" (env REGENT_InstancePollSecond): did you mean "InstancePollSeconds"?`) {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
}

func TestSearchPaths(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "orchestrator.conf.json")
	second := filepath.Join(dir, "regent.conf.json")
	if err := os.WriteFile(first, []byte(`{"InstancePollSeconds": 7, "ReadOnly": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte(`{"InstancePollSeconds": 8}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, rep, err := Load(LoadOptions{SearchPaths: []string{filepath.Join(dir, "missing.json"), first, second}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InstancePollSeconds != 8 || !cfg.ReadOnly {
		t.Errorf("poll=%d readonly=%v; want 8 and true (later files override key by key)", cfg.InstancePollSeconds, cfg.ReadOnly)
	}
	if strings.Join(rep.Files, ",") != first+","+second {
		t.Errorf("Files = %v", rep.Files)
	}
	cfg, rep, err = Load(LoadOptions{SearchPaths: []string{}})
	if err != nil || len(rep.Files) != 0 || cfg.InstancePollSeconds != 5 {
		t.Errorf("no files: err=%v files=%v poll=%d", err, rep.Files, cfg.InstancePollSeconds)
	}
}

func TestMissingExplicitFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf.json")
	_, _, err := Load(LoadOptions{Files: []string{missing}})
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a not-exist error naming %s", err, missing)
	}
}

func TestEnvExpansion(t *testing.T) {
	content := `{"MySQLTopologyPassword": "${DB_PASS}", "NATSPassword": "x-${NATS_PW}-y", "HTTPAuthPassword": "${UNSET_VAR}", "MySQLTopologyUser": "${NOT_EXPANDED}"}`
	cfg, rep, _, err := loadString(t, content, []string{"DB_PASS=s3cret", "NATS_PW=pw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MySQLTopologyPassword != "s3cret" || cfg.NATSPassword != "x-pw-y" || cfg.HTTPAuthPassword != "" {
		t.Errorf("expanded: topo=%q nats=%q http=%q", cfg.MySQLTopologyPassword, cfg.NATSPassword, cfg.HTTPAuthPassword)
	}
	if cfg.MySQLTopologyUser != "${NOT_EXPANDED}" {
		t.Errorf("user expanded: %q", cfg.MySQLTopologyUser)
	}
	if !strings.Contains(messages(rep.Warnings), "UNSET_VAR is not set") {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
}

func TestCredentialsFile(t *testing.T) {
	ini := "# my.cnf\n[mysqld]\npassword=wrong\n\n[client]\nuser = \"regent\"\npassword='p w;#x'\n; comment\n"
	cred := writeConf(t, "creds.cnf", ini)
	content := `{"MySQLTopologyUser": "orchestrator", "MySQLTopologyPassword": "old", "MySQLTopologyCredentialsConfigFile": "` + cred + `"}`
	cfg, _, _, err := loadString(t, content, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MySQLTopologyUser != "regent" || cfg.MySQLTopologyPassword != "p w;#x" {
		t.Errorf("user=%q password=%q", cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword)
	}
	content = "{\n\"MySQLTopologyCredentialsConfigFile\": \"/nonexistent/creds.cnf\"\n}"
	_, _, path, err := loadString(t, content, nil, nil)
	want := path + `:2: key "MySQLTopologyCredentialsConfigFile": read credentials file`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestLegacySynonyms(t *testing.T) {
	cfg, _, _, err := loadString(t, `{"DetachLostReplicasAfterMasterFailover": false}`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DetachLostReplicasAfterMasterFailover {
		t.Error("DetachLostSlavesAfterMasterFailover (default true) must force DetachLostReplicasAfterMasterFailover")
	}
	cfg, _, _, err = loadString(t, `{"DetachLostSlavesAfterMasterFailover": false, "DetachLostReplicasAfterMasterFailover": false, "SlaveLagQuery": "select 1", "RecoveryPeriodBlockSeconds": 0, "RecoveryPeriodBlockMinutes": 2}`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DetachLostReplicasAfterMasterFailover || cfg.ReplicationLagQuery != "select 1" || cfg.RecoveryPeriodBlockSeconds != 120 {
		t.Errorf("detach=%v lagQuery=%q block=%d", cfg.DetachLostReplicasAfterMasterFailover, cfg.ReplicationLagQuery, cfg.RecoveryPeriodBlockSeconds)
	}
	_, _, _, err = loadString(t, `{"SlaveLagQuery": "select 1", "ReplicationLagQuery": "select 2"}`, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `key "SlaveLagQuery"`) {
		t.Errorf("conflicting synonyms: err = %v", err)
	}
}

func TestGarbageNeverPanics(t *testing.T) {
	inputs := []string{
		"", "\x00\xff\xfe", "[]", "null", "42", `"str"`, "{", "}", "{{}}", `{"a":}`, `{"InstancePollSeconds": }`,
		`{"RaftNodes": [[[[]]]]}`, `{"ClusterNameToAlias": {"a": {"b": 1}}}`, `{"ClusterNameToAlias": {"a\u001fb": "x"}}`,
		"/* unterminated", `{"Debug": tru}`, `{"InstancePollSeconds": 1e400}`, `{"InstancePollSeconds": 99999999999999999999999}`,
		`{"ListenAddress": "\ud800"}`, "\xef\xbb\xbf{}", `{"RaftNodes": null, "ClusterNameToAlias": null, "Debug": null}`,
		strings.Repeat("[", 5000), `{"":1}`, `{"InstancePollSeconds": -0}`,
	}
	for _, in := range inputs {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Load panicked on %q: %v", in, r)
				}
			}()
			_, _, _, _ = loadString(t, in, nil, nil)
		}()
	}
}

func TestMasked(t *testing.T) {
	content := `{"MySQLTopologyPassword": "a", "HTTPAuthPassword": "b", "NATSPassword": "c", "NATSToken": "d", "NATSClusterPassword": "e", "MySQLOrchestratorPassword": "f", "MySQLTopologyUser": "u",
  "NATSServers": ["nats://127.0.0.1:4222"], "NATSClusterSecret": "0123456789abcdef-g"}`
	cfg, _, _, err := loadString(t, content, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Masked()
	for name, got := range map[string]string{
		"MySQLTopologyPassword": m.MySQLTopologyPassword, "HTTPAuthPassword": m.HTTPAuthPassword,
		"NATSPassword": m.NATSPassword, "NATSToken": m.NATSToken, "NATSClusterPassword": m.NATSClusterPassword,
		"NATSClusterSecret":         m.NATSClusterSecret,
		"MySQLOrchestratorPassword": m.MySQLOrchestratorPassword, "SessionSecretKey": m.SessionSecretKey,
	} {
		if got != MaskedValue {
			t.Errorf("%s = %q, want masked", name, got)
		}
	}
	if m.MySQLTopologyUser != "u" || cfg.MySQLTopologyPassword != "a" || m.OAuthClientSecret != "" {
		t.Errorf("user=%q original password=%q empty secret=%q", m.MySQLTopologyUser, cfg.MySQLTopologyPassword, m.OAuthClientSecret)
	}
}

func TestTypeAndValidationErrorsTogether(t *testing.T) {
	content := "{\n\"InstancePollSeconds\": \"five\",\n\"LogFormat\": \"xml\"\n}"
	_, _, path, err := loadString(t, content, nil, nil)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{path + `:2: key "InstancePollSeconds"`, path + `:3: key "LogFormat"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%v", want, err)
		}
	}
}

func TestEnvExpansionReplicationPasswordAndCredentialsFile(t *testing.T) {
	cred := writeConf(t, "creds.cnf", "[client]\nuser=${DB_USER}\npassword=${DB_PASS}\n")
	content := `{"ReplicationUser": "repl", "ReplicationPassword": "${REPL_PASS}", "MySQLTopologyCredentialsConfigFile": "` + cred + `"}`
	cfg, rep, _, err := loadString(t, content, []string{"REPL_PASS=r3pl", "DB_PASS=fromenv", "DB_USER=u"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ReplicationPassword != "r3pl" {
		t.Errorf("ReplicationPassword = %q, want r3pl", cfg.ReplicationPassword)
	}
	// The password read from the INI file is expanded like one written in
	// the JSON file; the user, as in orchestrator, is taken literally.
	if cfg.MySQLTopologyPassword != "fromenv" || cfg.MySQLTopologyUser != "${DB_USER}" {
		t.Errorf("from credentials file: user=%q password=%q, want ${DB_USER} / fromenv", cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %s", messages(rep.Warnings))
	}
	_, rep, _, err = loadString(t, `{"ReplicationPassword": "${REPL_UNSET}"}`, nil, nil)
	if err != nil || !strings.Contains(messages(rep.Warnings), `key "ReplicationPassword": environment variable REPL_UNSET is not set`) {
		t.Errorf("unset variable: err %v warnings %s", err, messages(rep.Warnings))
	}
}

// TestDefaultsArePinned pins the defaults orchestrator documents (reference
// §7.2) and Regent's own, as Load returns them with no file at all.
func TestDefaultsArePinned(t *testing.T) {
	cfg, _, err := Load(LoadOptions{SearchPaths: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for name, f := range cfg.fieldsByName() {
		got[name] = f.Interface()
	}
	want := map[string]any{
		// orchestrator's
		"ListenAddress": ":3000", "StatusEndpoint": "/api/status", "ReadOnly": false, "AuthenticationMethod": "",
		"AuthUserHeader": "X-Forwarded-User", "UseSSL": false, "UseMutualTLS": false,
		"MySQLTopologyUseMutualTLS": false, "MySQLTopologyUseMixedTLS": true, "TLSCacheTTLFactor": uint(100),
		"DefaultInstancePort": 3306, "InstancePollSeconds": uint(5), "DiscoveryMaxConcurrency": uint(300),
		"DiscoveryQueueCapacity": uint(100000), "DiscoverByShowSlaveHosts": false, "UnseenInstanceForgetHours": uint(240),
		"SkipMaxScaleCheck": true, "BufferInstanceWrites": false, "InstanceWriteBufferSize": 100,
		"InstanceFlushIntervalMilliseconds": 100, "MaxConcurrentReplicaOperations": 5,
		"HostnameResolveMethod": "default", "MySQLHostnameResolveMethod": "@@hostname", "ExpiryHostnameResolvesMinutes": 60,
		"ReasonableReplicationLagSeconds": 10, "ReasonableMaintenanceReplicationLagSeconds": 20,
		"ReasonableInstanceCheckSeconds": uint(1), "VerifyReplicationFilters": false,
		"BackendDB": "mysql", "MySQLOrchestratorPort": uint(3306), "MySQLOrchestratorMaxPoolConnections": 128,
		"RaftEnabled": false, "RaftBind": "127.0.0.1:10008", "RaftAdvertise": "127.0.0.1:10008", "DefaultRaftPort": 10008,
		"ExpectFailureAnalysisConcensus": true,
		"RecoveryPeriodBlockSeconds":     3600, "FailureDetectionPeriodBlockMinutes": 60,
		"ApplyMySQLPromotionAfterMasterFailover": true, "DetachLostSlavesAfterMasterFailover": true,
		"DetachLostReplicasAfterMasterFailover": true, "MasterFailoverDetachReplicaMasterHost": false,
		"PreventCrossDataCenterMasterFailover": false, "PreventCrossRegionMasterFailover": false,
		"FailMasterPromotionOnLagMinutes": uint(0), "FailMasterPromotionIfSQLThreadNotUpToDate": false,
		"DelayMasterPromotionIfSQLThreadNotUpToDate": false, "PostponeReplicaRecoveryOnLagMinutes": uint(0),
		"CoMasterRecoveryMustPromoteOtherCoMaster": true, "RecoverNonWriteableMaster": false,
		"RecoverLockedSemiSyncMaster": false, "EnforceExactSemiSyncReplicas": false, "UseSuperReadOnly": false,
		"ProcessesShellCommand": "bash", "AutoPseudoGTID": false, "BinlogEventsChunkSize": 10000,
		"KVClusterMasterPrefix": "mysql/master", "AuditPurgeDays": uint(7), "SnapshotTopologiesIntervalHours": uint(0),
		// Regent's
		"NATSListenAddress": "127.0.0.1:4222", "RaftDataDir": "./regent-data", "NATSClusterName": "regent",
		"NATSStreamReplicas": 1, "LogFormat": "auto", "LogLevel": "", "HookTimeoutSeconds": 60,
		"NATSMaxMemoryMB": 256, "NATSMaxStoreMB": 10240, "ObservationRetentionMinutes": 1440, "EventStreamMaxMB": 4096,
		"ReplicationStallMilliseconds": 1500, "ReplicationHeartbeatMilliseconds": 500, "RecoveryTickMilliseconds": 50,
		"InstancePollMilliseconds": 0, "ProbeTimeoutMilliseconds": 0,
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("%s: not a key", key)
			continue
		}
		if g != w {
			t.Errorf("%s = %#v, want %#v", key, g, w)
		}
	}
	lists := map[string][]string{"PowerAuthUsers": {"*"}, "RaftNodes": {}, "NATSServers": {}, "DiscoverySeeds": {},
		"RecoverMasterClusterFilters": {}, "RecoverIntermediateMasterClusterFilters": {}, "PostFailoverProcesses": {}}
	for key, w := range lists {
		if g := got[key].([]string); strings.Join(g, ",") != strings.Join(w, ",") || g == nil {
			t.Errorf("%s = %#v, want %#v", key, g, w)
		}
	}
	if cfg.NodeID() != "regent-1" || cfg.Clustered() || cfg.External() || cfg.PollInterval().String() != "5s" {
		t.Errorf("NodeID %q Clustered %v External %v PollInterval %s", cfg.NodeID(), cfg.Clustered(), cfg.External(), cfg.PollInterval())
	}
}
