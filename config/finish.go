package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
)

// envRef matches a ${NAME} reference in a secret value.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// envExpandedKeys may hold ${ENV} references.
var envExpandedKeys = [...]string{
	"MySQLTopologyPassword", "MySQLOrchestratorPassword", "HTTPAuthPassword",
	"NATSPassword", "NATSToken", "NATSClusterPassword", "NATSClusterSecret", "ReplicationPassword",
}

// finish applies what orchestrator does after reading its files (legacy
// synonyms, RaftAdvertise, URLPrefix), then credentials files and ${ENV}
// references, and normalises nil lists and maps to empty ones.
func (l *loader) finish(c *Config, env []string) {
	l.applySynonyms(c)
	if c.RaftAdvertise == "" {
		c.RaftAdvertise = c.RaftBind
	}
	if c.URLPrefix != "" {
		c.URLPrefix = "/" + strings.Trim(c.URLPrefix, "/")
	}
	if c.ReasonableLockedSemiSyncMasterSeconds == 0 && c.ReasonableReplicationLagSeconds > 0 {
		c.ReasonableLockedSemiSyncMasterSeconds = uint(c.ReasonableReplicationLagSeconds)
	}
	if path := c.MySQLTopologyCredentialsConfigFile; path != "" {
		user, pass, err := readCredentials(path)
		if err != nil {
			at := l.origins["MySQLTopologyCredentialsConfigFile"]
			l.keyFail("MySQLTopologyCredentialsConfigFile", at, err.Error())
		} else {
			if user != nil {
				c.MySQLTopologyUser = *user
			}
			if pass != nil {
				c.MySQLTopologyPassword = *pass
			}
		}
	}
	l.expandEnv(c, env)
	l.readClusterSecret(c)
	fillEmpty(reflect.ValueOf(c).Elem())
}

// applySynonyms folds orchestrator's legacy keys into their replacements
// with orchestrator's rules (§7.2: DetachLostSlavesAfterMasterFailover true
// forces DetachLostReplicasAfterMasterFailover).
func (l *loader) applySynonyms(c *Config) {
	if c.SlaveLagQuery != "" && c.ReplicationLagQuery != "" && c.SlaveLagQuery != c.ReplicationLagQuery {
		at := l.origins["SlaveLagQuery"]
		l.keyFail("SlaveLagQuery", at, "synonym of ReplicationLagQuery; both are set and differ")
	}
	if c.ReplicationLagQuery == "" {
		c.ReplicationLagQuery = c.SlaveLagQuery
	}
	c.SlaveLagQuery = ""
	if c.DetachLostSlavesAfterMasterFailover {
		c.DetachLostReplicasAfterMasterFailover = true
	}
	if c.MasterFailoverDetachSlaveMasterHost {
		c.MasterFailoverDetachReplicaMasterHost = true
	}
	if p, s := c.PostponeReplicaRecoveryOnLagMinutes, c.PostponeSlaveRecoveryOnLagMinutes; p != 0 && s != 0 && p != s {
		at := l.origins["PostponeSlaveRecoveryOnLagMinutes"]
		l.keyFail("PostponeSlaveRecoveryOnLagMinutes", at, "synonym of PostponeReplicaRecoveryOnLagMinutes; both are set and differ")
	}
	if c.PostponeSlaveRecoveryOnLagMinutes != 0 {
		c.PostponeReplicaRecoveryOnLagMinutes = c.PostponeSlaveRecoveryOnLagMinutes
	}
	if c.RecoveryPeriodBlockSeconds == 0 && c.RecoveryPeriodBlockMinutes > 0 {
		c.RecoveryPeriodBlockSeconds = c.RecoveryPeriodBlockMinutes * 60
	}
}

// expandEnv replaces ${NAME} in the secret keys with values from env. An
// unset variable expands to "" with a warning, as orchestrator would.
func (l *loader) expandEnv(c *Config, env []string) {
	lookup := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			lookup[k] = v
		}
	}
	rv := reflect.ValueOf(c).Elem()
	for _, key := range envExpandedKeys {
		f := rv.FieldByName(key)
		s := f.String()
		if !strings.Contains(s, "${") {
			continue
		}
		at := l.origins[key]
		f.SetString(envRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := lookup[name]
			if !ok {
				l.warn(key, at, keyMessage(key, at, fmt.Sprintf("environment variable %s is not set; using \"\"", name)))
			}
			return v
		}))
	}
}

// readCredentials reads user= and password= from the [client] section of a
// my.cnf-style file. A nil result means the file does not set it.
func readCredentials(path string) (user, password *string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read credentials file: %w", err)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			section = strings.ToLower(strings.TrimSpace(strings.Trim(line, "[]")))
			continue
		}
		if section != "client" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = unquote(strings.TrimSpace(v))
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "user":
			user = &v
		case "password":
			password = &v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read credentials file: %w", err)
	}
	return user, password, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// fillEmpty replaces nil slices and maps with empty ones, recursively
// through the embedded groups, so the effective config prints [] and {}.
func fillEmpty(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Struct:
			fillEmpty(f)
		case reflect.Slice:
			if f.IsNil() {
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			}
		case reflect.Map:
			if f.IsNil() {
				f.Set(reflect.MakeMap(f.Type()))
			}
		}
	}
}

// keyMessage formats a finding about a key: `file:line: key "K": msg`,
// or `key "K": msg` when the value is a default.
func keyMessage(key string, at origin, msg string) string {
	if at.file == "" {
		return fmt.Sprintf("key %q: %s", key, msg)
	}
	return fmt.Sprintf("%s: key %q: %s", at, key, msg)
}

// keyFail records an error about key at its origin.
func (l *loader) keyFail(key string, at origin, msg string) {
	l.fail(key, at, keyMessage(key, at, msg))
}

// readClusterSecret reads NATSClusterSecretFile into NATSClusterSecret
// (surrounding white space trimmed). Both keys set is an error.
func (l *loader) readClusterSecret(c *Config) {
	path := c.NATSClusterSecretFile
	if path == "" {
		return
	}
	at := l.origins["NATSClusterSecretFile"]
	if c.NATSClusterSecret != "" {
		l.keyFail("NATSClusterSecretFile", at, "set NATSClusterSecret or NATSClusterSecretFile, not both")
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		l.keyFail("NATSClusterSecretFile", at, fmt.Sprintf("read the cluster secret: %v", err))
		return
	}
	c.NATSClusterSecret = strings.TrimSpace(string(b))
	if c.NATSClusterSecret == "" {
		l.keyFail("NATSClusterSecretFile", at, path+" is empty")
	}
}
