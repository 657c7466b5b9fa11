package config

import (
	"slices"
	"testing"
)

func TestChangedKeys(t *testing.T) {
	a := Default()
	b := Default()
	if got := ChangedKeys(a, b); len(got) != 0 {
		t.Fatalf("defaults differ: %v", got)
	}
	b.PostFailoverProcesses = []string{"echo new"}
	b.RaftNodes = []string{"198.18.0.101", "198.18.0.102", "198.18.0.103"}
	b.HTTPAuthPassword = "secret"
	b.LogLevel = "debug"
	want := []string{"LogLevel", "HTTPAuthPassword", "PostFailoverProcesses", "RaftNodes"}
	got := ChangedKeys(a, b)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ChangedKeys = %v, want %v", got, want)
	}
}
