package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// decodeJSON decodes one standard JSON value, keeping numbers as
// json.Number so large integers survive and types can be checked exactly.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the value")
	}
	return v, nil
}

// checkValue checks a decoded JSON value against the Go type of a key and
// returns it in the shape the koanf layer keeps (json.Number, bool,
// string, []any, map[string]any). problem is "" when the value fits.
func checkValue(t reflect.Type, v any) (out any, problem string) {
	switch t.Kind() {
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			return b, ""
		}
		return nil, "want a boolean (true or false), got " + describe(v)
	case reflect.String:
		if s, ok := v.(string); ok {
			return s, ""
		}
		return nil, "want a string, got " + describe(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return checkInteger(t, v)
	case reflect.Slice:
		return checkList(v)
	case reflect.Map:
		return checkMap(v)
	}
	return nil, fmt.Sprintf("unsupported type %s", t)
}

func checkInteger(t reflect.Type, v any) (any, string) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, "want a number, got " + describe(v)
	}
	unsigned := t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		if _, ferr := strconv.ParseFloat(n.String(), 64); ferr == nil && strings.ContainsAny(n.String(), ".eE") {
			return nil, "want a whole number, got " + describe(v)
		}
		return nil, "number out of range: " + n.String()
	}
	switch {
	case unsigned && i < 0:
		return nil, "want a number ≥ 0, got " + describe(v)
	case unsigned && reflect.New(t).Elem().OverflowUint(uint64(i)):
		return nil, "number out of range: " + n.String()
	case !unsigned && reflect.New(t).Elem().OverflowInt(i):
		return nil, "number out of range: " + n.String()
	}
	return n, ""
}

func checkList(v any) (any, string) {
	if v == nil {
		return []any{}, ""
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, "want a list of strings, got " + describe(v)
	}
	for i, e := range arr {
		if _, ok := e.(string); !ok {
			return nil, fmt.Sprintf("want a list of strings, got %s at index %d", describe(e), i)
		}
	}
	return arr, ""
}

func checkMap(v any) (any, string) {
	if v == nil {
		return map[string]any{}, ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "want an object of strings, got " + describe(v)
	}
	for k, e := range m {
		if strings.Contains(k, keyDelim) {
			return nil, fmt.Sprintf("map key %q contains a control character", k)
		}
		if _, ok := e.(string); !ok {
			return nil, fmt.Sprintf("want an object of strings, got %s for %q", describe(e), k)
		}
	}
	return m, ""
}

// describe names a decoded JSON value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case json.Number:
		return "number " + x.String()
	case string:
		if len(x) > 60 {
			x = x[:57] + "..."
		}
		return fmt.Sprintf("string %q", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// fromString turns an environment or flag value into the shape checkValue
// returns: numbers and booleans are parsed, lists are JSON arrays or
// comma-separated, maps are JSON objects.
func fromString(t reflect.Type, s string) (any, string) {
	trimmed := strings.TrimSpace(s)
	switch t.Kind() {
	case reflect.String:
		return s, ""
	case reflect.Bool:
		b, err := strconv.ParseBool(trimmed)
		if err != nil {
			return nil, fmt.Sprintf("want a boolean (true or false), got %q", s)
		}
		return b, ""
	case reflect.Slice:
		if strings.HasPrefix(trimmed, "[") {
			return fromJSONString(t, trimmed)
		}
		out := []any{}
		for _, part := range strings.Split(trimmed, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out, ""
	case reflect.Map:
		if !strings.HasPrefix(trimmed, "{") {
			return nil, fmt.Sprintf("want a JSON object, got %q", s)
		}
		return fromJSONString(t, trimmed)
	}
	if _, err := strconv.ParseFloat(trimmed, 64); err != nil {
		return nil, fmt.Sprintf("want a number, got %q", s)
	}
	return checkValue(t, json.Number(trimmed))
}

func fromJSONString(t reflect.Type, s string) (any, string) {
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Sprintf("invalid JSON: %v", err)
	}
	return checkValue(t, v)
}
