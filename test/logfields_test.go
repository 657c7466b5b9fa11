package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// logField matches a zerolog field set with a literal name.
var logField = regexp.MustCompile(`\.(Str|Strs|Int|Int64|Uint64|Uint32|Uint|Dur|Bool|Float64|Time|Stringer|Interface|Any)\("([a-z_]+)"`)

// logSynonyms are names that mean a vocabulary field under another name.
var logSynonyms = map[string]string{"took": "duration", "elapsed": "duration", "host": "instance", "recovery_id": "recovery"}

// TestLogFieldsUseTheVocabulary: log fields that the shared vocabulary
// (events/logkeys.go) names are set through its constants, and no code logs
// one of them under a synonym, so that logs of every component filter the
// same way. Fields outside the vocabulary (a statement, an address) are free.
func TestLogFieldsUseTheVocabulary(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(root, "events", "logkeys.go"))
	if err != nil {
		t.Fatal(err)
	}
	vocab := map[string]bool{}
	for _, m := range regexp.MustCompile(`Log\w+\s*=\s*"([a-z_]+)"`).FindAllStringSubmatch(string(keys), -1) {
		vocab[m[1]] = true
	}
	if len(vocab) < 10 {
		t.Fatalf("read %d vocabulary names from events/logkeys.go; the pattern no longer matches it", len(vocab))
	}
	for dir := range repoPackages(t) {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(filepath.Join(root, dir, name))
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				for _, m := range logField.FindAllStringSubmatch(line, -1) {
					if vocab[m[2]] {
						t.Errorf("%s:%d: log field %q: use its constant in events/logkeys.go", filepath.Join(dir, name), i+1, m[2])
					} else if v, ok := logSynonyms[m[2]]; ok {
						t.Errorf("%s:%d: log field %q means %q: use the vocabulary's constant", filepath.Join(dir, name), i+1, m[2], v)
					}
				}
			}
		}
	}
}
