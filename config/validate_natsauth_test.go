package config

import (
	"errors"
	"strings"
	"testing"
)

// TestNATSAuthValidation: no anonymous NATS. An external NATS needs
// credentials, a cluster a shared NATSClusterSecret of at least 16
// characters, the embedded node no NATSToken, and a clustered node's
// NodeName is its RaftNodes entry.
func TestNATSAuthValidation(t *testing.T) {
	tests := []struct{ name, content, key, msg string }{
		{"nats servers, credentials in the URL", `{"NATSServers": ["nats://regent:pw@127.0.0.1:4222"], "RaftDataDir": ""}`, "", ""},
		{"nats servers anonymous", `{"NATSServers": ["nats://127.0.0.1:4222"], "RaftDataDir": ""}`, "NATSCredentialsFile", "anonymous NATS is refused"},
		{"cluster without secret", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}`, "NATSClusterSecret", "NATSClusterSecretFile"},
		{"cluster secret too short", `{"NATSClusterSecret": "short"}`, "NATSClusterSecret", "at least 16"},
		{"cluster node name", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "NodeName": "alpha", "NATSClusterSecret": "0123456789abcdef0123"}`, "NodeName", "RaftNodes entry 10.0.0.1:10008"},
		{"embedded token", `{"NATSToken": "t"}`, "NATSToken", "cannot combine with a token"},
		{"embedded admin without password", `{"NATSUser": "ops"}`, "NATSPassword", "NATSUser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, path, err := loadString(t, "{\n\"Debug\": false,\n"+strings.TrimPrefix(tt.content, "{"), nil, nil)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ke *KeyError
			if err == nil || !errors.As(err, &ke) {
				t.Fatalf("want an error about %s, got %v", tt.key, err)
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if errors.As(e, &ke) && ke.Key == tt.key && strings.Contains(ke.Message, tt.msg) {
					if ke.File != path || ke.Line != 3 {
						t.Errorf("location %s:%d, want %s:3", ke.File, ke.Line, path)
					}
					return
				}
			}
			t.Errorf("no error for key %s containing %q; got:\n%v", tt.key, tt.msg, err)
		})
	}
}

// TestNATSClusterSecretFile: the file's trimmed content is the secret
// (masked when printed); an empty file, a missing one, or both keys set are
// errors naming NATSClusterSecretFile.
func TestNATSClusterSecretFile(t *testing.T) {
	good := writeConf(t, "secret", "  0123456789abcdef-from-file\n")
	cfg, _, _, err := loadString(t, `{"NATSClusterSecretFile": "`+good+`"}`, nil, nil)
	if err != nil || cfg.NATSClusterSecret != "0123456789abcdef-from-file" || cfg.Masked().NATSClusterSecret != MaskedValue {
		t.Fatalf("secret from file: %q (%v)", cfg.NATSClusterSecret, err)
	}
	empty := writeConf(t, "empty", "\n")
	for _, content := range []string{`{"NATSClusterSecretFile": "` + empty + `"}`, `{"NATSClusterSecretFile": "/nonexistent/secret"}`,
		`{"NATSClusterSecretFile": "` + good + `", "NATSClusterSecret": "0123456789abcdef-key"}`} {
		if _, _, _, err := loadString(t, content, nil, nil); err == nil || !strings.Contains(err.Error(), `key "NATSClusterSecretFile"`) {
			t.Errorf("%s: %v, want an error naming NATSClusterSecretFile", content, err)
		}
	}
}
