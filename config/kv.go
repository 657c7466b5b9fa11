package config

import "strings"

// MastersKVPrefix is KVClusterMasterPrefix as orchestrator normalises it:
// "/" stays "/", anything else loses its trailing slashes and gets one
// ("mysql/master" and "mysql/master//" both give "mysql/master/"). A
// cluster's key is this prefix followed by its alias.
func (c Config) MastersKVPrefix() string {
	p := c.KVClusterMasterPrefix
	if p == "/" {
		return p
	}
	return strings.TrimRight(p, "/") + "/"
}

// checkKVPrefix: the prefix becomes part of NATS KV keys, whose alphabet
// is [-/_=.A-Za-z0-9] and which may not start with '.'.
func (c Config) checkKVPrefix(ck *checker) {
	p := c.KVClusterMasterPrefix
	if strings.HasPrefix(p, ".") {
		ck.bad("KVClusterMasterPrefix", "must not start with '.' (a NATS KV key cannot), got %q", p)
		return
	}
	for _, r := range p {
		if !kvKeyRune(r) {
			ck.bad("KVClusterMasterPrefix", "%q is not allowed in a NATS KV key (letters, digits, '-', '/', '_', '=', '.'), got %q", r, p)
			return
		}
	}
}

// kvKeyRune reports whether r may appear in a NATS KV key.
func kvKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-/_=.", r)
}
