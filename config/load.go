package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/knadh/koanf/v2"
	"github.com/tailscale/hujson"
)

// keyDelim is koanf's path delimiter. File keys are flat, but map values
// (ClusterNameToAlias) have keys such as "127.0.0.1", so the delimiter
// must be a character no real key contains.
const keyDelim = "\x1f"

// EnvPrefix is the prefix of environment variables that set keys:
// REGENT_InstancePollSeconds=2 (the key part is matched case-insensitively).
const EnvPrefix = "REGENT_"

// DefaultSearchPaths are the files read, in order, when no file is given
// explicitly. Every one that exists is read; later files override earlier
// ones key by key, as in orchestrator.
func DefaultSearchPaths() []string {
	return []string{
		"/etc/regent.conf.json",
		"/etc/orchestrator.conf.json",
		"./regent.conf.json",
		"./orchestrator.conf.json",
	}
}

// LoadOptions says where the configuration comes from. Nothing is read from
// the process environment implicitly.
type LoadOptions struct {
	// Files are explicit config files (--config). When non-empty the search
	// paths are not used, and a missing file is an error.
	Files []string
	// SearchPaths replaces DefaultSearchPaths when non-nil (tests point it
	// at temporary directories; an empty non-nil slice reads no file).
	SearchPaths []string
	// Env is the environment in os.Environ form; REGENT_<Key> entries
	// override file values.
	Env []string
	// Flags are key → value overrides applied last (command-line flags).
	Flags map[string]string
}

// Diagnostic is one finding about the configuration. Message is the
// complete human-readable line, location included; Key, File and Line
// repeat the location for programs.
type Diagnostic struct {
	Key     string
	File    string // a path, "env REGENT_<Key>" or "flag <Key>"; "" for defaults
	Line    int    // 1-based; 0 when unknown
	Message string
}

// String returns the message.
func (d Diagnostic) String() string { return d.Message }

// KeyError is a configuration error about one key (or, for cross-field
// rules, the first of the keys involved). Load joins them with errors.Join.
type KeyError struct {
	Diagnostic
}

// Error returns the message, e.g.
// `regent.conf.json:7: key "InstancePollSeconds": want a number, got string "five"`.
func (e *KeyError) Error() string { return e.Message }

// Report is what Load found besides errors.
type Report struct {
	Files    []string // config files read, in order
	Warnings []Diagnostic
	Infos    []Diagnostic
}

// origin is where a key's effective value was last set.
type origin struct {
	file string
	line int
}

func (o origin) String() string {
	if o.line > 0 {
		return fmt.Sprintf("%s:%d", o.file, o.line)
	}
	return o.file
}

// loader carries the state of one Load call.
type loader struct {
	keys    *keySet
	k       *koanf.Koanf
	origins map[string]origin
	report  Report
	errs    []error
}

// Load builds the configuration from defaults, files, environment and
// flags, in that order, then applies orchestrator's legacy synonyms,
// credentials files and ${ENV} references, and validates. On any error it
// returns a zero Config, the report so far and every error joined.
func Load(opts LoadOptions) (Config, Report, error) {
	l := &loader{keys: knownKeys(), k: koanf.New(keyDelim), origins: map[string]origin{}}
	if err := l.loadDefaults(); err != nil {
		return Config{}, l.report, err
	}
	l.loadFiles(opts)
	l.loadEnv(opts.Env)
	l.loadFlags(opts.Flags)
	if l.fatal() {
		return Config{}, l.report, errors.Join(l.errs...)
	}
	cfg, err := l.decode()
	if err != nil {
		return Config{}, l.report, errors.Join(append(l.errs, err)...)
	}
	// Values with a type error were left out, so the rest can still be
	// checked: the caller sees every problem at once.
	l.finish(&cfg, opts.Env)
	bad := map[string]bool{}
	for _, e := range l.errs {
		var ke *KeyError
		if errors.As(e, &ke) {
			bad[ke.Key] = true
		}
	}
	for _, e := range cfg.validate(l.origins) {
		if ke := (*KeyError)(nil); !errors.As(e, &ke) || !bad[ke.Key] {
			l.errs = append(l.errs, e)
		}
	}
	if len(l.errs) > 0 {
		return Config{}, l.report, errors.Join(l.errs...)
	}
	return cfg, l.report, nil
}

// fatal reports whether an error so far makes further checks meaningless:
// a file that could not be read or parsed at all.
func (l *loader) fatal() bool {
	for _, e := range l.errs {
		var ke *KeyError
		if !errors.As(e, &ke) || ke.Key == "" {
			return true
		}
	}
	return false
}

// mapProvider is a koanf.Provider over an already-checked map.
type mapProvider map[string]any

func (m mapProvider) Read() (map[string]any, error) { return m, nil }

func (m mapProvider) ReadBytes() ([]byte, error) {
	return nil, errors.New("mapProvider does not provide bytes")
}

func (l *loader) loadDefaults() error {
	b, err := json.Marshal(Default())
	if err != nil {
		return fmt.Errorf("encode defaults: %w", err)
	}
	v, err := decodeJSON(b)
	if err != nil {
		return fmt.Errorf("decode defaults: %w", err)
	}
	return l.k.Load(mapProvider(v.(map[string]any)), nil)
}

func (l *loader) loadFiles(opts LoadOptions) {
	if len(opts.Files) > 0 {
		for _, path := range opts.Files {
			l.loadFile(path, true)
		}
		return
	}
	paths := opts.SearchPaths
	if paths == nil {
		paths = DefaultSearchPaths()
	}
	for _, path := range paths {
		l.loadFile(path, false)
	}
}

func (l *loader) loadFile(path string, explicit bool) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return
	}
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("read config file %s: %w", path, err))
		return
	}
	l.report.Files = append(l.report.Files, path)
	values := l.scanFile(path, src)
	if err := l.k.Load(mapProvider(values), nil); err != nil {
		l.errs = append(l.errs, fmt.Errorf("merge config file %s: %w", path, err))
	}
}

// scanFile parses one HuJSON file (comments and trailing commas allowed),
// checks every top-level key and value, and returns the accepted values by
// canonical key name. Problems are recorded with their line numbers.
func (l *loader) scanFile(path string, src []byte) map[string]any {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	root, err := hujson.Parse(src)
	if err != nil {
		l.fail("", origin{file: path}, fmt.Sprintf("%s: invalid JSON: %v", path, err))
		return nil
	}
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		l.fail("", origin{file: path}, fmt.Sprintf("%s: want a JSON object at the top level", path))
		return nil
	}
	values := map[string]any{}
	seen := map[string]int{}
	for i := range obj.Members {
		m := &obj.Members[i]
		name := m.Name.Value.(hujson.Literal).String()
		at := origin{file: path, line: lineOf(src, m.Name.StartOffset)}
		ki := l.resolve(name, at)
		if ki == nil {
			continue
		}
		if first, dup := seen[ki.name]; dup {
			l.warn(ki.name, at, fmt.Sprintf("duplicate key %q (%s): overrides line %d", name, at, first))
		}
		seen[ki.name] = at.line
		v := m.Value.Clone()
		v.Standardize()
		decoded, err := decodeJSON(v.Pack())
		if err != nil {
			l.keyFail(ki.name, at, err.Error())
			continue
		}
		l.accept(ki, at, decoded, values)
	}
	return values
}

// resolve maps a key as written to its known key, recording unknown-key
// warnings, spelling warnings and infos. It returns nil when the key is
// not to be loaded.
func (l *loader) resolve(name string, at origin) *keyInfo {
	ki, exact := l.keys.lookup(name)
	if ki == nil {
		msg := fmt.Sprintf("unknown key %q (%s)", name, at)
		if s := l.keys.suggest(name); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		l.warn(name, at, msg)
		return nil
	}
	if !exact {
		l.warn(ki.name, at, fmt.Sprintf("key %q (%s) is spelled %q; accepted", name, at, ki.name))
	}
	switch {
	case ki.gone:
		l.info(ki.name, at, fmt.Sprintf("key %q (%s): deprecated by orchestrator, ignored", ki.name, at))
		return nil
	case ki.unused:
		l.info(ki.name, at, fmt.Sprintf("key %q (%s): accepted, not used by Regent", ki.name, at))
	case ki.alias != "":
		l.info(ki.name, at, fmt.Sprintf("key %q (%s): legacy synonym of %q, applied to it", ki.name, at, ki.alias))
	}
	return ki
}

// accept type-checks a decoded value and stores it under the canonical key.
func (l *loader) accept(ki *keyInfo, at origin, v any, into map[string]any) {
	out, problem := checkValue(ki.typ, v)
	if problem != "" {
		l.keyFail(ki.name, at, problem)
		return
	}
	into[ki.name] = out
	l.origins[ki.name] = at
}

func (l *loader) loadEnv(env []string) {
	values := map[string]any{}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		key := strings.TrimPrefix(name, EnvPrefix)
		at := origin{file: "env " + name}
		ki := l.resolve(key, at)
		if ki == nil {
			continue
		}
		l.acceptString(ki, at, val, values)
	}
	if err := l.k.Load(mapProvider(values), nil); err != nil {
		l.errs = append(l.errs, fmt.Errorf("merge environment: %w", err))
	}
}

func (l *loader) loadFlags(flags map[string]string) {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	values := map[string]any{}
	for _, name := range names {
		at := origin{file: "flag " + name}
		ki, _ := l.keys.lookup(name)
		if ki == nil || ki.gone {
			msg := fmt.Sprintf("%s: unknown key %q", at, name)
			if s := l.keys.suggest(name); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			l.fail(name, at, msg)
			continue
		}
		l.acceptString(ki, at, flags[name], values)
	}
	if err := l.k.Load(mapProvider(values), nil); err != nil {
		l.errs = append(l.errs, fmt.Errorf("merge flags: %w", err))
	}
}

func (l *loader) acceptString(ki *keyInfo, at origin, s string, into map[string]any) {
	v, problem := fromString(ki.typ, s)
	if problem != "" {
		l.keyFail(ki.name, at, problem)
		return
	}
	into[ki.name] = v
	l.origins[ki.name] = at
}

// decode turns the merged koanf map into a Config. Every value was
// type-checked on the way in, so an error here is a bug.
func (l *loader) decode() (Config, error) {
	b, err := json.Marshal(l.k.Raw())
	if err != nil {
		return Config{}, fmt.Errorf("encode merged config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("decode merged config: %w", err)
	}
	return cfg, nil
}

func (l *loader) warn(key string, at origin, msg string) {
	l.report.Warnings = append(l.report.Warnings, Diagnostic{Key: key, File: at.file, Line: at.line, Message: msg})
}

func (l *loader) info(key string, at origin, msg string) {
	l.report.Infos = append(l.report.Infos, Diagnostic{Key: key, File: at.file, Line: at.line, Message: msg})
}

func (l *loader) fail(key string, at origin, msg string) {
	l.errs = append(l.errs, &KeyError{Diagnostic{Key: key, File: at.file, Line: at.line, Message: msg}})
}

// lineOf returns the 1-based line of byte offset off in src.
func lineOf(src []byte, off int) int {
	off = min(max(off, 0), len(src))
	return 1 + bytes.Count(src[:off], []byte("\n"))
}
