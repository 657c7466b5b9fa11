package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// readThroughMethods lists keys the daemon reads only through a Config
// method; the test checks that the daemon calls at least one of them.
var readThroughMethods = map[string][]string{
	"Debug":                      {"EffectiveLogLevel"},
	"LogLevel":                   {"EffectiveLogLevel"},
	"InstancePollSeconds":        {"PollInterval"},
	"InstancePollMilliseconds":   {"PollInterval"},
	"ProbeTimeoutMilliseconds":   {"ProbeTimeout"},
	"MySQLConnectTimeoutSeconds": {"ProbeTimeout"},
	"RaftEnabled":                {"Clustered", "NodeID"},
	"RaftNodes":                  {"RaftPeers", "Clustered"},
	"RaftAdvertise":              {"Self", "NodeID"},
	"RaftBind":                   {"Self", "NodeID"},
	"NodeName":                   {"NodeID"},
	"DefaultRaftPort":            {"RaftPeers", "Self"},
	"NATSServers":                {"External"},
	"NATSStreamReplicas":         {"StreamReplicas"},
	"HTTPAdvertise":              {"APIAddress"},
	"KVClusterMasterPrefix":      {"MastersKVPrefix"},
}

// foldedByLoad lists keys Load itself consumes into other keys (legacy
// synonyms, tagged alias=, are checked against their target instead).
var foldedByLoad = map[string]string{
	"MySQLTopologyCredentialsConfigFile": "read into MySQLTopologyUser/Password",
	"NATSClusterSecretFile":              "read into NATSClusterSecret",
}

// daemonReads returns the names selected on a config value (cfg.X,
// n.cfg.X, cfg.Group.X, cfg.Method()) in cmd/regent's non-test files: the
// only package that receives a Config.
func daemonReads(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../cmd/regent/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("list cmd/regent sources: %v (%d files)", err, len(files))
	}
	isCfg := func(e ast.Expr) bool {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name == "cfg"
		case *ast.SelectorExpr:
			return x.Sel.Name == "cfg"
		}
		return false
	}
	reads := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if isCfg(sel.X) {
				reads[sel.Sel.Name] = true
			} else if inner, ok := sel.X.(*ast.SelectorExpr); ok && isCfg(inner.X) {
				reads[sel.Sel.Name] = true // cfg.HTTP.UseSSL
			}
			return true
		})
	}
	if len(reads) < 20 {
		t.Fatalf("found only %d config reads in cmd/regent: the scan is broken", len(reads))
	}
	return reads
}

// TestEveryKeyIsReadOrTaggedUnused fails when a key is accepted but read
// by no code (tag it `regent:"unused"` so `regent config check` says so),
// or tagged unused but read (remove the tag), and when the lists above go
// stale. It scans cmd/regent, the composition root that hands the config's
// values to every other package.
func TestEveryKeyIsReadOrTaggedUnused(t *testing.T) {
	reads := daemonReads(t)
	var problems []string
	for _, ki := range knownKeys().ordered {
		methods, viaMethod := readThroughMethods[ki.name]
		_, folded := foldedByLoad[ki.name]
		direct := reads[ki.name]
		called := false
		for _, m := range methods {
			called = called || reads[m]
		}
		if ki.alias != "" {
			if target, _ := knownKeys().lookup(ki.alias); target == nil || target.unused != ki.unused {
				problems = append(problems, ki.name+": a synonym of "+ki.alias+" must be tagged unused exactly when it is")
			}
			continue
		}
		switch {
		case ki.unused && (direct || called):
			problems = append(problems, ki.name+": tagged unused but cmd/regent reads it: remove the tag")
		case ki.unused && (viaMethod || folded):
			problems = append(problems, ki.name+": tagged unused but listed as read in this test")
		case ki.unused:
		case direct, folded:
		case viaMethod && !called:
			problems = append(problems, ki.name+": cmd/regent calls none of "+strings.Join(methods, ", "))
		case viaMethod:
		default:
			problems = append(problems, ki.name+": read by no code: tag it `regent:\"unused\"` or use it")
		}
	}
	for name := range readThroughMethods {
		if ki, _ := knownKeys().lookup(name); ki == nil {
			problems = append(problems, name+": in readThroughMethods but not a key")
		}
	}
	for name := range foldedByLoad {
		if ki, _ := knownKeys().lookup(name); ki == nil {
			problems = append(problems, name+": in foldedByLoad but not a key")
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
