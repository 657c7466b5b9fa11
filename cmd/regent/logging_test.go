package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/regent-ha/regent/config"
)

func TestNewLogger(t *testing.T) {
	debugCfg := config.Default()
	debugCfg.Debug = true
	tests := []struct {
		name          string
		format, level string
		wantJSON      bool
		wantDebug     bool // a debug line is written
		wantLevel     string
	}{
		{"default is JSON at info", "", "", true, false, "info"},
		{"auto on a non-terminal is JSON", "auto", config.Default().EffectiveLogLevel(), true, false, "info"},
		{"json", "json", "warn", true, false, "warn"},
		{"console", "console", "info", false, false, "info"},
		{"Debug makes the level debug", "json", debugCfg.EffectiveLogLevel(), true, true, "debug"},
		{"trace", "json", "trace", true, true, "trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tt.format, tt.level)
			if err != nil {
				t.Fatal(err)
			}
			if got := log.GetLevel().String(); got != tt.wantLevel {
				t.Errorf("level %s, want %s", got, tt.wantLevel)
			}
			log.Debug().Msg("a debug line")
			log.Error().Str("k", "v").Msg("an error line")
			out := buf.String()
			if strings.Contains(out, "a debug line") != tt.wantDebug {
				t.Errorf("debug line written = %v, want %v:\n%s", !tt.wantDebug, tt.wantDebug, out)
			}
			last := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
			var m map[string]any
			isJSON := json.Unmarshal([]byte(last), &m) == nil
			if isJSON != tt.wantJSON {
				t.Fatalf("JSON output = %v, want %v: %q", isJSON, tt.wantJSON, last)
			}
			if isJSON && (m["level"] != "error" || m["message"] != "an error line" || m["k"] != "v" || m["time"] == nil) {
				t.Errorf("JSON line %v lacks level, message, field or time", m)
			}
			if !isJSON && (!strings.Contains(last, "ERR") || !strings.Contains(last, "an error line") || !strings.Contains(last, "k=v")) {
				t.Errorf("console line %q lacks level, message or field", last)
			}
		})
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"json", "verbose"}} {
		if _, err := newLogger(&bytes.Buffer{}, bad[0], bad[1]); err == nil {
			t.Errorf("newLogger(%q, %q): want an error", bad[0], bad[1])
		}
	}
}
