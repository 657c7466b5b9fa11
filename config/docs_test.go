package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestUnusedKeysAreDocumented: every key tagged unused is named in
// docs/configuration.md's section on them (exactly, or by a `Prefix*`).
func TestUnusedKeysAreDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatalf("read the configuration docs: %v", err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Orchestrator keys accepted but not used by Regent")
	if start < 0 {
		t.Fatal("docs/configuration.md lacks the section on unused keys")
	}
	section := doc[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var names []string
	for _, m := range regexp.MustCompile("`([A-Za-z0-9_]+\\*?)`").FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	documented := func(key string) bool {
		for _, n := range names {
			if n == key || (strings.HasSuffix(n, "*") && strings.HasPrefix(key, strings.TrimSuffix(n, "*"))) {
				return true
			}
		}
		return false
	}
	for _, ki := range knownKeys().ordered {
		if ki.unused && !documented(ki.name) {
			t.Errorf("%s is tagged unused but docs/configuration.md does not list it", ki.name)
		}
	}
	for _, name := range deprecatedKeys {
		if !documented(name) {
			t.Errorf("%s (deprecated by orchestrator) is not listed in docs/configuration.md", name)
		}
	}
}
