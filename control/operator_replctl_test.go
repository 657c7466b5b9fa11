package control

import (
	"testing"
)

func TestBinlogBefore(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"mysql-bin.000001", "mysql-bin.000002", true},
		{"mysql-bin.000002", "mysql-bin.000002", false},
		{"mysql-bin.000003", "mysql-bin.000002", false},
		{"mysql-bin.999999", "mysql-bin.1000000", true}, // past the zero padding
		{"mysql-bin.1000000", "mysql-bin.999999", false},
		{"a-bin.000009", "b-bin.000001", true}, // other base name: as strings
		{"noext", "noext2", true},
	}
	for _, tt := range tests {
		if got := binlogBefore(tt.a, tt.b); got != tt.want {
			t.Errorf("binlogBefore(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsReplCtl(t *testing.T) {
	for _, op := range []ReplicaOp{OpStopReplicaNice, OpSkipQuery, OpEnableSemiSyncMaster, OpDisableSemiSyncMaster,
		OpEnableSemiSyncReplica, OpDisableSemiSyncReplica, OpFlushBinaryLogs} {
		if !isReplCtl(op) {
			t.Errorf("%s is not routed to the replication controls", op)
		}
	}
	for _, op := range []ReplicaOp{OpStopReplica, OpDetachReplica, OpErrantInject, OpPurgeBinaryLogs, OpMoveUp} {
		if isReplCtl(op) {
			t.Errorf("%s is routed to the instance-only replication controls", op)
		}
	}
}
