package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/regent-ha/regent/config"
)

const configUsage = `usage: regent config check [--json-only] [FILE]

Loads the configuration (FILE, or every existing file of the search list:
/etc/regent.conf.json, /etc/orchestrator.conf.json, ./regent.conf.json,
./orchestrator.conf.json), then REGENT_<Key> environment variables, and
runs every check serve runs before it starts (regular expressions, peers,
VIP interface, authentication, bounds, TLS files, hook and VIP commands).
Prints warnings and infos to stderr and the effective configuration, secrets
masked, as JSON to stdout. Exit status: 0 valid, 1 invalid, 2 usage.
`

// runConfig is `regent config <subcommand>`; only "check" exists.
func runConfig(_ context.Context, e env) int {
	if len(e.args) == 0 || e.args[0] != "check" {
		if len(e.args) > 0 && (e.args[0] == "help" || e.args[0] == "-h" || e.args[0] == "--help") {
			fmt.Fprint(e.stdout, configUsage)
			return 0
		}
		fmt.Fprint(e.stderr, configUsage)
		return 2
	}
	fs := flag.NewFlagSet("regent config check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, configUsage) }
	jsonOnly := fs.Bool("json-only", false, "print only the effective config (no warnings or infos)")
	if err := fs.Parse(e.args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprint(e.stderr, configUsage)
		return 2
	}
	opts := config.LoadOptions{Files: fs.Args(), Env: os.Environ()}
	return configCheck(opts, *jsonOnly, e.stdout, e.stderr)
}

// configCheck loads, reports and prints; split from runConfig for tests.
func configCheck(opts config.LoadOptions, jsonOnly bool, stdout, stderr io.Writer) int {
	cfg, report, err := loadConfig(opts)
	if !jsonOnly || err != nil {
		for _, f := range report.Files {
			fmt.Fprintf(stderr, "read: %s\n", f)
		}
		for _, d := range report.Infos {
			fmt.Fprintf(stderr, "info: %s\n", d)
		}
		for _, d := range report.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", d)
		}
	}
	if err != nil {
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			fmt.Fprintf(stderr, "error: %v\n", e)
		}
		fmt.Fprintf(stderr, "config invalid: %d error(s)\n", len(errs))
		return 1
	}
	if !jsonOnly && len(report.Files) == 0 {
		fmt.Fprintln(stderr, "info: no config file found; defaults and environment only")
	}
	if w := cfg.APIExposureWarning(); w != "" && !jsonOnly {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	out, err := json.MarshalIndent(cfg.Masked(), "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "error: encode config: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// parseSets turns the --set Key=Value flags of a command into config
// overrides.
func parseSets(sets []string) (map[string]string, error) {
	overrides := make(map[string]string, len(sets))
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want Key=Value", kv)
		}
		overrides[k] = v
	}
	return overrides, nil
}
