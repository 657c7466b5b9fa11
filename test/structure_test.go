package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/regent-ha/regent"

// pkg is one Go package of the repository (non-test files only).
type pkg struct {
	dir     string // relative to the repo root
	imports map[string]bool
	hasDoc  bool
}

// walkSource calls fn with the repository's root and each non-test Go
// file (hidden folders, testdata, bin, node_modules and regent-data left
// out).
func walkSource(t *testing.T, fn func(root, path string) error) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "node_modules" || name == "regent-data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		return fn(root, path)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func repoPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	pkgs := map[string]*pkg{}
	walkSource(t, func(root, path string) error {
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		p := pkgs[rel]
		if p == nil {
			p = &pkg{dir: rel, imports: map[string]bool{}}
			pkgs[rel] = p
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		if f.Doc != nil && strings.HasPrefix(strings.TrimSpace(f.Doc.Text()), "Package ") || f.Name.Name == "main" && f.Doc != nil {
			p.hasDoc = true
		}
		for _, im := range f.Imports {
			s, _ := strconv.Unquote(im.Path.Value)
			p.imports[s] = true
		}
		return nil
	})
	return pkgs
}

// Every package states its responsibilities in a package doc comment.
func TestEveryPackageHasADoc(t *testing.T) {
	for dir, p := range repoPackages(t) {
		if !p.hasDoc {
			t.Errorf("package %s has no package doc comment (add doc.go)", dir)
		}
	}
}

// Imports point inward, to events/ (code-style rule 2).
func TestDependencyDirection(t *testing.T) {
	forbidden := []struct {
		pkgPrefix string   // packages this rule applies to
		imports   []string // import prefixes they must not use
		why       string
	}{
		{"events", []string{module + "/", "github.com/nats-io", "github.com/go-sql-driver", "github.com/knadh"}, "events (and events/gtid) is the vocabulary: stdlib only"},
		{"projections", []string{"github.com/nats-io", "github.com/go-sql-driver", "github.com/knadh", "net", "os/exec", "os", "math/rand", module + "/config", module + "/probes", module + "/actuators", module + "/api"}, "projections are pure folds"},
		{"config", []string{module + "/probes", module + "/projections", module + "/actuators", module + "/api", "github.com/nats-io"}, "config imports no other package of ours"},
		{"probes", []string{module + "/config", module + "/actuators", module + "/api", "github.com/nats-io/nats-server"}, "probes take plain options and publish through an interface"},
		{"actuators", []string{module + "/config", module + "/probes", module + "/api", "github.com/nats-io/nats-server"}, "actuators act through small interfaces"},
		{"api", []string{"github.com/go-sql-driver", "github.com/nats-io/nats-server", module + "/config"}, "the API reads views, it does not touch MySQL"},
		{"mysqlconn", []string{module + "/", "github.com/nats-io"}, "mysqlconn builds driver configs from plain options: it imports no package of ours"},
		{"control", []string{module + "/api", module + "/cmd", module + "/config", "github.com/nats-io/nats-server", "github.com/go-sql-driver"}, "control is the application layer below the API (api imports it, never the reverse); it takes plain options (not the config), runs the probes and acts through the actuators"},
	}
	for dir, p := range repoPackages(t) {
		first := strings.Split(filepath.ToSlash(dir), "/")[0]
		for _, rule := range forbidden {
			if first != rule.pkgPrefix || (rule.pkgPrefix == "events" && dir != "events" && dir != filepath.Join("events", "gtid")) {
				continue
			}
			for im := range p.imports {
				for _, bad := range rule.imports {
					if im == bad || strings.HasPrefix(im, bad+"/") || (strings.HasSuffix(bad, "/") && strings.HasPrefix(im, bad)) {
						t.Errorf("%s imports %s: %s", dir, im, rule.why)
					}
				}
			}
		}
		// events/ and its packages (the log, the NATS clients and server,
		// GTID arithmetic) are the innermost layer: they import no package
		// of ours outside events/.
		if first == "events" {
			for im := range p.imports {
				if strings.HasPrefix(im, module+"/") && im != module+"/events" && !strings.HasPrefix(im, module+"/events/") {
					t.Errorf("%s imports %s: events/ is the innermost layer", dir, im)
				}
			}
		}
		// cmd/ is the composition root: nothing imports it.
		for im := range p.imports {
			if strings.HasPrefix(im, module+"/cmd/") {
				t.Errorf("%s imports %s: nothing imports cmd/ (the composition root)", dir, im)
			}
		}
		// Only cmd/ and the embedding package import the NATS server.
		if p.imports["github.com/nats-io/nats-server/v2/server"] && !strings.HasPrefix(dir, "cmd") && dir != filepath.Join("events", "natsnode") {
			t.Errorf("%s imports nats-server: only cmd/ and events/natsnode may", dir)
		}
		// Regent talks to servers only through mysqlconn's client layer
		// (driver configs, pools, error kinds, statements by version): no
		// other package imports the driver (issue 15). The test harnesses
		// under test/ drive servers directly.
		if p.imports["github.com/go-sql-driver/mysql"] && dir != "mysqlconn" && !strings.HasPrefix(dir, "test") {
			t.Errorf("%s imports the MySQL driver: only mysqlconn/ may (use mysqlconn.Pools, Classify, StatementsFor)", dir)
		}
	}
}

// Every MySQL connection Regent opens to a managed server takes its driver
// config (credentials, timeouts, MySQLTopologySSL* TLS) from mysqlconn:
// no other non-test code builds one (issue 12: the actuators had connected
// without the TLS settings the probes used).
func TestOneMySQLDriverConfig(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for dir := range repoPackages(t) {
		if dir == "mysqlconn" || strings.HasPrefix(dir, "test") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, call := range []string{"mysql.NewConfig(", "mysql.ParseDSN(", "mysql.RegisterTLSConfig(", "sql.Open("} {
				if strings.Contains(string(b), call) {
					rel, _ := filepath.Rel(root, f)
					t.Errorf("%s calls %s: build MySQL connections with mysqlconn.Dialer.Config", rel, call)
				}
			}
		}
	}
}

// cmd/regent is wiring and subcommands (issue 14): at most 2,000 lines of
// non-test Go, comments included, as `wc -l` counts them. Logic that is not
// wiring belongs in the package that owns the decision (docs/design.md).
func TestCmdRegentIsWiring(t *testing.T) {
	const limit = 2000
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "cmd", "regent", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("list cmd/regent: %v (%d files)", err, len(files))
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += strings.Count(string(b), "\n")
	}
	if lines > limit {
		t.Errorf("cmd/regent has %d lines of non-test Go, over %d: move what is not wiring to the package that owns it (docs/design.md)", lines, limit)
	}
}

// No function or method of the non-test code is over 100 lines
// (CONTRIBUTING.md): a long function is split where it does two things.
func TestNoLongFunctions(t *testing.T) {
	const limit = 100
	fset := token.NewFileSet()
	checked := 0
	walkSource(t, func(root, path string) error {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			checked++
			if n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; n > limit {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s: %s is %d lines, over %d: split it", rel, fd.Name.Name, n, limit)
			}
		}
		return nil
	})
	if checked < 500 {
		t.Fatalf("checked only %d functions: the walk missed the code", checked)
	}
}
