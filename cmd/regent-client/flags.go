package main

import (
	"net/url"
	"strings"
)

// options is the parsed command line, after environment defaults.
type options struct {
	command     string // -c, with the first "slave" rewritten to "replica"
	instance    string // -i, default $ORCHESTRATOR_INSTANCE
	dest        string // -d or -s
	alias       string // -a
	owner       string // -o, default: the current user
	reason      string // -r
	duration    string // -u, default 10m
	rule        string // -R
	tag         string // -t
	pool        string // -l
	hostname    string // -H
	defaultPort string // -D, default 3306
	api         string // -U
	path        string // -P
	query       string // -q
	auth        string // -b user:password, default from ORCHESTRATOR_AUTH_USER/_PASSWORD
	headersAuth string // -e "Header: value", default $ORCHESTRATOR_AUTH_USER_HEADER
	binlog      string // -n
	seconds     string // -S
	help        bool   // -h
}

// longFlag maps orchestrator-client's long options (one or two dashes) to
// their short letters.
func longFlag(name string) (byte, bool) {
	l, ok := map[string]byte{
		"help": 'h', "command": 'c', "alias": 'a', "owner": 'o', "reason": 'r',
		"promotion-rule": 'R', "duration": 'u', "tag": 't', "pool": 'l',
		"hostname": 'H', "api": 'U', "path": 'P', "query": 'q', "auth": 'b',
		"headers-auth": 'e', "binlog": 'n', "seconds": 'S',
	}[name]
	return l, ok
}

// valueFlags are the short options that take a value.
const valueFlags = "cidsaDUorRutlHPqbenS"

// parseArgs reads args the way orchestrator-client does: long forms are
// rewritten to short ones, short options take their value from the next
// argument or, getopts style, from the rest of the same argument (-cdiscover).
// Unlike getopts, a stray positional argument is an error, not a silent stop.
func parseArgs(args []string, getenv func(string) string, whoami func() string) (*options, error) {
	o := &options{
		instance:    getenv("ORCHESTRATOR_INSTANCE"),
		duration:    "10m",
		defaultPort: "3306",
		auth:        getenv("ORCHESTRATOR_AUTH_USER") + ":" + getenv("ORCHESTRATOR_AUTH_PASSWORD"),
		headersAuth: getenv("ORCHESTRATOR_AUTH_USER_HEADER"),
	}
	ownerSet := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		letter, value, hasValue, err := splitFlag(arg)
		if err != nil {
			return nil, err
		}
		if letter == 'h' {
			o.help = true
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, failf("option %s requires an argument", arg)
			}
			i++
			value = args[i]
		}
		if letter == 'o' {
			ownerSet = true
		}
		o.set(letter, value)
	}
	if !ownerSet && whoami != nil {
		o.owner = strings.TrimSpace(whoami())
	}
	o.command = strings.Replace(o.command, "slave", "replica", 1)
	return o, nil
}

// splitFlag recognises one option argument: -x, -xVALUE, -long, --long,
// --long=VALUE.
func splitFlag(arg string) (letter byte, value string, hasValue bool, err error) {
	if len(arg) < 2 || arg[0] != '-' {
		return 0, "", false, failf("unexpected argument %q (options are -c <command>, -i <instance>, ...; see -c help)", arg)
	}
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if n, v, ok := strings.Cut(name, "="); ok && strings.HasPrefix(arg, "--") {
		if l, known := longFlag(n); known && l != 'h' {
			return l, v, true, nil
		}
	}
	if l, known := longFlag(name); known {
		return l, "", false, nil
	}
	if strings.HasPrefix(arg, "--") {
		return 0, "", false, failf("unknown option %s", arg)
	}
	l := arg[1]
	switch {
	case l == 'h' && len(arg) == 2:
		return 'h', "", false, nil
	case strings.IndexByte(valueFlags, l) >= 0:
		if len(arg) > 2 {
			return l, arg[2:], true, nil
		}
		return l, "", false, nil
	}
	return 0, "", false, failf("unknown option %s", arg)
}

func (o *options) set(letter byte, v string) {
	switch letter {
	case 'c':
		o.command = v
	case 'i':
		o.instance = v
	case 'd', 's':
		o.dest = v
	case 'a':
		o.alias = v
	case 'o':
		o.owner = v
	case 'r':
		o.reason = v
	case 'u':
		o.duration = v
	case 'R':
		o.rule = v
	case 't':
		o.tag = v
	case 'l':
		o.pool = v
	case 'H':
		o.hostname = v
	case 'D':
		o.defaultPort = v
	case 'U':
		if v != "" { // an empty -U keeps the environment's API, as in orchestrator-client
			o.api = v
		}
	case 'P':
		o.path = v
	case 'q':
		o.query = v
	case 'b':
		o.auth = v
	case 'e':
		o.headersAuth = v
	case 'n':
		o.binlog = v
	case 'S':
		o.seconds = v
	}
}

// hint is the cluster hint: -a wins over the raw -i.
func (o *options) hint() string {
	if o.alias != "" {
		return o.alias
	}
	return o.instance
}

// instanceKey is "host:port" for an instance argument, with the default port
// added when missing; "" stays "".
func (o *options) instanceKey(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, ":") {
		return s
	}
	return s + ":" + o.defaultPort
}

// hostPort is the "host/port" path form of an instance argument.
func (o *options) hostPort(s string) string {
	k := o.instanceKey(s)
	if k == "" {
		return ""
	}
	i := strings.LastIndexByte(k, ':')
	return url.PathEscape(k[:i]) + "/" + url.PathEscape(k[i+1:])
}
