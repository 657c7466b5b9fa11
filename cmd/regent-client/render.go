package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// This file holds the jq-like readers orchestrator-client's filters amount
// to. They follow jq's treatment of missing values: a missing field is null,
// `jq -r` prints null as "null", and a null InstanceKey prints as ":null".

// instanceKey is orchestrator's InstanceKey.
type instanceKey struct {
	Hostname string
	Port     json.Number
}

// String is `.Hostname + ":" + (.Port|tostring)`.
func (k instanceKey) String() string {
	p := string(k.Port)
	if p == "" {
		p = "null"
	}
	return k.Hostname + ":" + p
}

// keyOf reads an InstanceKey; null or missing gives the zero key.
func keyOf(raw json.RawMessage) (instanceKey, error) {
	var k instanceKey
	if isNull(raw) {
		return k, nil
	}
	if err := json.Unmarshal(raw, &k); err != nil {
		return k, failf("decode instance key %s: %v", truncate(raw, 80), err)
	}
	return k, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// field returns obj.name, or nil when obj is not an object or lacks it.
func field(obj json.RawMessage, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if isNull(obj) || json.Unmarshal(obj, &m) != nil {
		return nil
	}
	return m[name]
}

// fieldKey is the InstanceKey at obj.name.
func fieldKey(obj json.RawMessage, name string) (string, error) {
	k, err := keyOf(field(obj, name))
	if err != nil {
		return "", err
	}
	return k.String(), nil
}

// items is `.[]` over an array; null is an empty list (Go encodes an empty
// slice as null).
func items(raw json.RawMessage) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if isNull(raw) {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, failf("expected a JSON array, got %s", truncate(raw, 80))
	}
	return list, nil
}

// jqText is `jq -r .`: strings unquoted, null as "null", objects and arrays
// indented by two spaces, other scalars as written.
func jqText(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "null"
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			return s
		}
	case '{', '[':
		return prettyJSON(t)
	}
	return string(t)
}

// prettyJSON is `jq .` layout (key order kept).
func prettyJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, bytes.TrimSpace(raw)); err != nil {
		return strings.TrimSpace(string(raw))
	}
	return b.String()
}

// str is a string field; null, missing or non-string gives "" (jq's
// `null + "x"` is "x").
func str(obj json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(field(obj, name), &s)
	return s
}

// escapeURI percent-encodes everything but RFC 3986 unreserved characters,
// like jq's @uri (used for query values and free-text path segments).
func escapeURI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
