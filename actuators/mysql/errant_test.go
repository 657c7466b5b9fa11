package mysql

import "testing"

const (
	uA = "00000000-0000-0000-0000-00000000000a"
	uB = "00000000-0000-0000-0000-00000000000b"
)

func TestResetBinaryLogsStatement(t *testing.T) {
	for _, tt := range []struct{ version, want string }{
		{"5.7.28-log", "RESET MASTER"},
		{"8.0.36", "RESET MASTER"},
		{"8.4.0", "RESET BINARY LOGS AND GTIDS"},
		{"9.1.0", "RESET BINARY LOGS AND GTIDS"},
		{"10.11.6-MariaDB-log", "RESET MASTER"},
		{"11.4.2-MariaDB", "RESET MASTER"},
	} {
		if got := dialectOf(tt.version).ResetBinaryLogs; got != tt.want {
			t.Errorf("%s: %q, want %q", tt.version, got, tt.want)
		}
	}
}

func TestWithoutErrant(t *testing.T) {
	tests := []struct {
		mariaDB                        bool
		history, errant, primary, want string
		err                            bool
	}{
		{false, uA + ":1-100," + uB + ":1-3", uB + ":1-3", "", uA + ":1-100", false},
		{false, uA + ":1-100," + uB + ":1-5", uB + ":4-5", "", uA + ":1-100," + uB + ":1-3", false},
		// The errant server's entry takes the primary's for that pair, or goes.
		{true, "0-1-200,0-3-101", "0-3-101", "0-1-200", "0-1-200", false},
		{true, "0-3-40,0-1-200,0-3-101", "0-3-101", "0-1-200,0-3-40", "0-3-40,0-1-200", false},
		{true, "0-1-200,1-3-7", "1-3-7", "0-1-200", "0-1-200", false},
		{true, "0-1-200", "garbage", "", "", true},
		{false, "not a set", uB + ":1", "", "", true},
	}
	for _, tt := range tests {
		got, err := withoutErrant(tt.mariaDB, tt.history, tt.errant, tt.primary)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("withoutErrant(%v, %q, %q, %q) = %q, %v; want %q, error %v", tt.mariaDB, tt.history, tt.errant, tt.primary, got, err, tt.want, tt.err)
		}
	}
}

// TestErrantHolder: a binary log holds an errant GTID when the state at
// its end has it and the one at its start has not.
func TestErrantHolder(t *testing.T) {
	tests := []struct {
		mariaDB    bool
		errant     string
		start, end string
		holds      bool
	}{
		{true, "0-3-101", "0-1-100", "0-1-100,0-3-101", true},
		{true, "0-3-101", "0-1-100,0-3-101", "0-1-150,0-3-101", false},
		{true, "0-3-101", "0-1-90", "0-1-100", false},
		{true, "0-3-101,1-3-2", "0-1-90,0-3-101", "0-1-100,0-3-101,1-3-2", true},
		{false, uB + ":3", uA + ":1-5," + uB + ":1-2", uA + ":1-9," + uB + ":1-3", true},
		{false, uB + ":3", uA + ":1-5," + uB + ":1-3", uA + ":1-9," + uB + ":1-3", false},
		{false, uB + ":3", "", uA + ":1-9", false},
	}
	for _, tt := range tests {
		holds, err := errantHolder(tt.mariaDB, tt.errant)
		if err != nil {
			t.Fatalf("errantHolder(%q): %v", tt.errant, err)
		}
		got, err := holds(tt.start, tt.end)
		if err != nil || got != tt.holds {
			t.Errorf("errant %q in a log from %q to %q: %v, %v; want %v", tt.errant, tt.start, tt.end, got, err, tt.holds)
		}
	}
	if _, err := errantHolder(true, "0-3"); err == nil {
		t.Error("errantHolder accepted the MariaDB list \"0-3\"")
	}
	holds, _ := errantHolder(false, uB+":3")
	if _, err := holds("nonsense", ""); err == nil {
		t.Error("a Previous_gtids the parser cannot read was accepted")
	}
}
