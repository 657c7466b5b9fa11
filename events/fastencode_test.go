package events

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// sampleProgress is a replica's progress with every field set.
func sampleProgress() InstanceProgress {
	sb, lag := int64(3), int64(4)
	hb := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	return InstanceProgress{
		Key: InstanceKey{Hostname: "db-0042.example", Port: 3306}, Digest: "0123456789abcdef",
		SelfCoordinates: BinlogCoordinates{LogFile: "mysql-bin.000012", LogPos: 987654},
		GTIDExecuted:    "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77", GTIDCurrentPos: "0-1-1234",
		GTIDSlavePos: "0-1-1200", GTIDBinlogPos: "0-1-1234",
		ReadCoordinates: BinlogCoordinates{LogFile: "mysql-bin.000011", LogPos: 4},
		ExecCoordinates: BinlogCoordinates{LogFile: "mysql-bin.000011", LogPos: 5}, RelayCoordinates: BinlogCoordinates{LogFile: "relay.000002", LogPos: 6},
		RetrievedGTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-80", GTIDIOPos: "0-1-1300",
		SecondsBehind: &sb, LagSeconds: &lag, HeartbeatsReceived: 99, LastHeartbeat: &hb, Uptime: 86400,
		ProbeDuration: 1234567 * time.Nanosecond,
	}
}

// checkEncodeSame asserts that New and Marshal write p and its envelope
// exactly as encoding/json does, and reports whether the hand encoders
// took them.
func checkEncodeSame(t *testing.T, env Envelope, p *InstanceProgress) (payloadFast, envFast bool) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodePayload(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("payload: got %s (%v), encoding/json %s", got, err, want)
	}
	_, payloadFast = appendProgress(nil, p)
	env.Payload, env.compact = got, got
	wantEnv, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	gotEnv, err := env.Marshal()
	if err != nil || !bytes.Equal(gotEnv, wantEnv) {
		t.Fatalf("envelope: got\n%s (%v), encoding/json\n%s", gotEnv, err, wantEnv)
	}
	_, envFast = appendEnvelope(nil, &env)
	return payloadFast, envFast
}

func TestFastEncodeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	base := Envelope{ID: NewID(), Kind: KindInstanceProgress, Version: CurrentVersion(KindInstanceProgress), Time: at, Origin: "regent-1",
		Cluster: "db-0001.example:3306", Instance: "db-0042.example:3306"}
	neg := int64(-7)
	tests := []struct {
		name                 string
		env                  func(*Envelope)
		p                    func(*InstanceProgress)
		payloadFast, envFast bool
	}{
		{"all fields", nil, nil, true, true},
		{"zero progress", nil, func(p *InstanceProgress) { *p = InstanceProgress{} }, true, true},
		{"negative and extreme numbers", nil, func(p *InstanceProgress) {
			p.SecondsBehind, p.Uptime, p.HeartbeatsReceived = &neg, math.MinInt64, math.MaxInt64
			p.Key.Port, p.ProbeDuration = -1, -5
		}, true, true},
		{"html characters", nil, func(p *InstanceProgress) { p.GTIDIOPos = "<a&b>" }, false, true},
		{"quote and backslash", nil, func(p *InstanceProgress) { p.Key.Hostname = `a"b\c` }, false, true},
		{"control character", nil, func(p *InstanceProgress) { p.Digest = "a\nb\x01" }, false, true},
		{"non-ascii and invalid utf-8", nil, func(p *InstanceProgress) { p.SelfCoordinates.LogFile = "bïn\xff\u2028" }, false, true},
		{"heartbeat with an offset", nil, func(p *InstanceProgress) {
			hb := time.Date(2026, 3, 1, 10, 0, 0, 5, time.FixedZone("x", 3600))
			p.LastHeartbeat = &hb
		}, false, true},
		{"zero heartbeat time", nil, func(p *InstanceProgress) { hb := time.Time{}; p.LastHeartbeat = &hb }, true, true},
		{"heartbeat at UTC offset zero, other zone", nil, func(p *InstanceProgress) {
			hb := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("GMT", 0))
			p.LastHeartbeat = &hb
		}, true, true},
		{"envelope optional fields", func(e *Envelope) {
			e.Cluster, e.Instance, e.CausationID, e.CorrelationID, e.Epoch = "", "", "c1", "c2", math.MaxUint64
		}, nil, true, true},
		{"envelope string to escape", func(e *Envelope) { e.Origin = "régent<1>" }, nil, true, false},
		{"envelope time with an offset", func(e *Envelope) { e.Time = at.In(time.FixedZone("x", -1800)) }, nil, true, false},
		{"envelope time after 9999", func(e *Envelope) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, p := base, sampleProgress()
			if tt.env != nil {
				tt.env(&env)
			}
			if tt.p != nil {
				tt.p(&p)
			}
			if tt.name == "envelope time after 9999" {
				// encoding/json refuses it: Marshal must fail the same way.
				b, _ := encodePayload(&p)
				env.Payload, env.compact = b, b
				if _, err := env.Marshal(); err == nil {
					t.Fatal("Marshal accepted a year encoding/json refuses")
				}
				if _, ok := appendEnvelope(nil, &env); ok {
					t.Fatal("hand encoder took a year out of range")
				}
				return
			}
			pf, ef := checkEncodeSame(t, env, &p)
			if pf != tt.payloadFast || ef != tt.envFast {
				t.Fatalf("fast paths taken: payload %v, envelope %v; want %v, %v", pf, ef, tt.payloadFast, tt.envFast)
			}
		})
	}
}

// TestFastEncodeRandom compares the encoders with encoding/json on random
// progress payloads (bounded: 2,000 of them).
func TestFastEncodeRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "a", "mysql-bin.000001", "0-1-2", "<", "&", "\"", "\\", "\n", "é", "\xff", "\u2029", " ", "Z"}
	str := func() string {
		s := ""
		for range rnd.IntN(4) {
			s += alphabet[rnd.IntN(len(alphabet))]
		}
		return s
	}
	num := func() int64 {
		switch rnd.IntN(4) {
		case 0:
			return 0
		case 1:
			return -rnd.Int64()
		}
		return rnd.Int64N(1 << uint(rnd.IntN(62)+1))
	}
	ptr := func() *int64 {
		if rnd.IntN(2) == 0 {
			return nil
		}
		n := num()
		return &n
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for range 2000 {
		p := InstanceProgress{Key: InstanceKey{Hostname: str(), Port: int(num())}, Digest: str(),
			SelfCoordinates: BinlogCoordinates{LogFile: str(), LogPos: num()}, GTIDExecuted: str(), GTIDCurrentPos: str(),
			GTIDSlavePos: str(), GTIDBinlogPos: str(), ReadCoordinates: BinlogCoordinates{LogFile: str(), LogPos: num()},
			ExecCoordinates: BinlogCoordinates{LogFile: str(), LogPos: num()}, RelayCoordinates: BinlogCoordinates{LogFile: str(), LogPos: num()},
			RetrievedGTIDSet: str(), GTIDIOPos: str(), SecondsBehind: ptr(), LagSeconds: ptr(), HeartbeatsReceived: num(),
			Uptime: num(), ProbeDuration: time.Duration(num())}
		if rnd.IntN(2) == 0 {
			hb := time.Unix(rnd.Int64N(1<<35), rnd.Int64N(1e9)).UTC()
			p.LastHeartbeat = &hb
		}
		env := Envelope{ID: NewID(), Kind: KindInstanceProgress, Version: 1, Time: at.Add(time.Duration(num())), Origin: "n" + str(),
			Cluster: str(), Instance: str(), CausationID: str(), CorrelationID: str(), Epoch: uint64(max(0, num()))}
		if _, err := json.Marshal(env); err != nil {
			continue // a time encoding/json refuses: covered above
		}
		checkEncodeSame(t, env, &p)
	}
}

// TestMarshalPayloadNotFromNew checks that an envelope whose Payload New
// did not write (decoded, replaced, or changed in length) is encoded by
// encoding/json, which compacts and escapes it.
func TestMarshalPayloadNotFromNew(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p := sampleProgress()
	env, err := New(KindInstanceProgress, at, "regent-1", &p)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBytes(env.Payload, env.compact) {
		t.Fatal("New did not mark its payload")
	}
	env.Payload = json.RawMessage(`{ "key" : {"Hostname":"<x>","Port":1} }`)
	got, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(env)
	if !bytes.Equal(got, want) || !bytes.Contains(got, []byte(`"payload":{"key":{"Hostname":"\u003cx\u003e","Port":1}}`)) {
		t.Fatalf("got %s, want %s", got, want)
	}
	dec, err := Unmarshal(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := dec.Marshal()
	if err != nil || !bytes.Equal(again, got) {
		t.Fatalf("decoded and encoded again: %s (%v), want %s", again, err, got)
	}
}

// BenchmarkEnvelopeProgress builds and encodes one progress event (New and
// Marshal, as the observer's publish path does).
func BenchmarkEnvelopeProgress(b *testing.B) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p := sampleProgress()
	b.ReportAllocs()
	for b.Loop() {
		env, err := New(KindInstanceProgress, at, "regent-1", &p)
		if err != nil {
			b.Fatal(err)
		}
		env.Instance, env.Cluster = "db-0042.example:3306", "db-0001.example:3306"
		if _, err := env.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
