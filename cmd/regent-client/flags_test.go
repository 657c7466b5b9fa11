package main

import (
	"strings"
	"testing"
)

func TestParseArgsForms(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		args []string
		want func(o *options) string
		val  string
	}{
		{[]string{"-c", "discover"}, func(o *options) string { return o.command }, "discover"},
		{[]string{"-command", "discover"}, func(o *options) string { return o.command }, "discover"},
		{[]string{"--command", "discover"}, func(o *options) string { return o.command }, "discover"},
		{[]string{"--command=discover"}, func(o *options) string { return o.command }, "discover"},
		{[]string{"-cdiscover"}, func(o *options) string { return o.command }, "discover"},
		{[]string{"-c", "start-slave"}, func(o *options) string { return o.command }, "start-replica"},
		{[]string{"-c", "slave-slave"}, func(o *options) string { return o.command }, "replica-slave"},
		{[]string{"-i", "db1:3307"}, func(o *options) string { return o.instance }, "db1:3307"},
		{[]string{"-d", "db2"}, func(o *options) string { return o.dest }, "db2"},
		{[]string{"-s", "db3"}, func(o *options) string { return o.dest }, "db3"},
		{[]string{"-a", "main"}, func(o *options) string { return o.alias }, "main"},
		{[]string{"-alias", "main"}, func(o *options) string { return o.alias }, "main"},
		{[]string{"--alias", "main"}, func(o *options) string { return o.alias }, "main"},
		{[]string{"-owner", "ops"}, func(o *options) string { return o.owner }, "ops"},
		{[]string{"--reason", "maint"}, func(o *options) string { return o.reason }, "maint"},
		{[]string{"-duration", "1h"}, func(o *options) string { return o.duration }, "1h"},
		{[]string{"--promotion-rule", "prefer"}, func(o *options) string { return o.rule }, "prefer"},
		{[]string{"-R", "must_not"}, func(o *options) string { return o.rule }, "must_not"},
		{[]string{"--tag", "a=b"}, func(o *options) string { return o.tag }, "a=b"},
		{[]string{"-pool", "p"}, func(o *options) string { return o.pool }, "p"},
		{[]string{"--hostname", "h"}, func(o *options) string { return o.hostname }, "h"},
		{[]string{"-D", "3307"}, func(o *options) string { return o.defaultPort }, "3307"},
		{[]string{"-api", "http://x:1"}, func(o *options) string { return o.api }, "http://x:1"},
		{[]string{"-U", ""}, func(o *options) string { return o.api }, ""},
		{[]string{"--path", "clusters-info"}, func(o *options) string { return o.path }, "clusters-info"},
		{[]string{"-query", "q"}, func(o *options) string { return o.query }, "q"},
		{[]string{"--auth", "u:p"}, func(o *options) string { return o.auth }, "u:p"},
		{[]string{"-headers-auth", "X-User: bob"}, func(o *options) string { return o.headersAuth }, "X-User: bob"},
		{[]string{"--binlog", "mysql-bin.000002"}, func(o *options) string { return o.binlog }, "mysql-bin.000002"},
		{[]string{"-seconds", "30"}, func(o *options) string { return o.seconds }, "30"},
		{[]string{"-S", "30"}, func(o *options) string { return o.seconds }, "30"},
		// defaults
		{nil, func(o *options) string { return o.duration }, "10m"},
		{nil, func(o *options) string { return o.defaultPort }, "3306"},
		{nil, func(o *options) string { return o.owner }, "tester"},
	}
	for _, c := range cases {
		o, err := parseArgs(c.args, getenv, func() string { return "tester\n" })
		if err != nil {
			t.Errorf("parseArgs(%q): %v", c.args, err)
			continue
		}
		if got := c.want(o); got != c.val {
			t.Errorf("parseArgs(%q) = %q, want %q", c.args, got, c.val)
		}
	}
}

func TestParseArgsHelpForms(t *testing.T) {
	for _, a := range []string{"-h", "-help", "--help"} {
		o, err := parseArgs([]string{a}, func(string) string { return "" }, nil)
		if err != nil || !o.help {
			t.Errorf("%s: help=%v err=%v", a, o != nil && o.help, err)
		}
	}
}

func TestParseArgsEnvironmentDefaults(t *testing.T) {
	env := map[string]string{
		"ORCHESTRATOR_INSTANCE":         "db9:3306",
		"ORCHESTRATOR_AUTH_USER":        "alice",
		"ORCHESTRATOR_AUTH_PASSWORD":    "s3cret",
		"ORCHESTRATOR_AUTH_USER_HEADER": "X-Forwarded-User: alice",
	}
	getenv := func(k string) string { return env[k] }
	o, err := parseArgs(nil, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.instance != "db9:3306" || o.auth != "alice:s3cret" || o.headersAuth != "X-Forwarded-User: alice" {
		t.Fatalf("env defaults: instance=%q auth=%q header=%q", o.instance, o.auth, o.headersAuth)
	}
	o, err = parseArgs([]string{"-i", "db1", "-b", "bob:pw", "-e", "X-User: bob"}, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.instance != "db1" || o.auth != "bob:pw" || o.headersAuth != "X-User: bob" {
		t.Fatalf("flags must override env: instance=%q auth=%q header=%q", o.instance, o.auth, o.headersAuth)
	}
}

func TestParseArgsErrors(t *testing.T) {
	cases := map[string][]string{
		"requires an argument":  {"-c"},
		"unknown option -x":     {"-x", "1"},
		"unknown option --nope": {"--nope", "1"},
		"unexpected argument":   {"-c", "topology", "db1"},
	}
	for want, args := range cases {
		_, err := parseArgs(args, func(string) string { return "" }, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseArgs(%q) error = %v, want it to contain %q", args, err, want)
		}
	}
}

func TestInstancePaths(t *testing.T) {
	o := &options{defaultPort: "3306"}
	cases := map[string]string{"db1": "db1/3306", "db1:3307": "db1/3307", "198.18.0.1:3306": "198.18.0.1/3306", "": ""}
	for in, want := range cases {
		if got := o.hostPort(in); got != want {
			t.Errorf("hostPort(%q) = %q, want %q", in, got, want)
		}
	}
	o.defaultPort = "3310"
	if got := o.hostPort("db1"); got != "db1/3310" {
		t.Errorf("hostPort with -D 3310 = %q", got)
	}
	o.instance, o.alias = "db1", ""
	if o.hint() != "db1" {
		t.Errorf("hint from -i = %q, want raw db1", o.hint())
	}
	o.alias = "main"
	if o.hint() != "main" {
		t.Errorf("-a must win over -i, got %q", o.hint())
	}
}

func TestEscapeURILikeJq(t *testing.T) {
	if got := escapeURI("db 1/x:y?&=é~._-"); got != "db%201%2Fx%3Ay%3F%26%3D%C3%A9~._-" {
		t.Errorf("escapeURI = %q", got)
	}
}
