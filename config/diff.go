package config

import (
	"reflect"
)

// ChangedKeys lists, in declaration order, the keys whose values differ
// between a and b (names only: some values are secrets).
func ChangedKeys(a, b Config) []string {
	var out []string
	diffStruct(reflect.ValueOf(a), reflect.ValueOf(b), &out)
	return out
}

func diffStruct(a, b reflect.Value, out *[]string) {
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			diffStruct(a.Field(i), b.Field(i), out)
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			*out = append(*out, f.Name)
		}
	}
}
