package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// jsonUnmarshal is the reference: encoding/json alone.
func jsonUnmarshal(b []byte) (Envelope, error) {
	var e Envelope
	err := json.Unmarshal(b, &e)
	return e, err
}

// checkSame asserts that the fast path either declines b or decodes it
// exactly as encoding/json does, payload included. It reports whether the
// fast path took it.
func checkSame(t *testing.T, b []byte) bool {
	t.Helper()
	fast, ok := fastUnmarshal(b, false)
	slow, err := jsonUnmarshal(b)
	owned, ownedOK := fastUnmarshal(bytes.Clone(b), true)
	if ok != ownedOK {
		t.Fatalf("fast path took %v, owned %v:\n%s", ok, ownedOK, b)
	}
	if !ok {
		return false
	}
	if owned.pre != nil {
		if !owned.pre.matches(owned.Payload) || !reflect.DeepEqual(owned.pre.progress, fast.pre.progress) {
			t.Fatalf("owned predecoded payload differs:\n%s", b)
		}
	}
	owned.pre = nil
	if !reflect.DeepEqual(owned, slow) {
		t.Fatalf("owned fast path decoded\n%s\nas %+v, encoding/json as %+v", b, owned, slow)
	}
	if err != nil {
		t.Fatalf("fast path accepted what encoding/json rejects (%v):\n%s", err, b)
	}
	pre := fast.pre
	fast.pre = nil
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path decoded\n%s\nas %+v, encoding/json as %+v", b, fast, slow)
	}
	if pre == nil {
		return true
	}
	if !pre.matches(fast.Payload) {
		t.Fatalf("predecoded payload does not match the envelope's payload:\n%s", b)
	}
	var want InstanceProgress
	if err := json.Unmarshal(slow.Payload, &want); err != nil {
		t.Fatalf("fast path predecoded a payload encoding/json rejects (%v):\n%s", err, b)
	}
	if !reflect.DeepEqual(pre.progress, want) {
		t.Fatalf("fast path decoded payload\n%s\nas %+v, encoding/json as %+v", slow.Payload, pre.progress, want)
	}
	var direct InstanceProgress
	if !fastDecode(slow.Payload, &direct) || !reflect.DeepEqual(direct, want) {
		t.Fatalf("fastDecode of payload\n%s\n= %+v, encoding/json = %+v", slow.Payload, direct, want)
	}
	return true
}

func progressBody(t testing.TB, p InstanceProgress) []byte {
	t.Helper()
	at := time.Date(2026, 11, 24, 1, 2, 3, 456789000, time.UTC)
	e, err := New(KindInstanceProgress, at, "n1", p)
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster, e.Instance, e.CausationID, e.CorrelationID, e.Epoch = "c1", "db1:3306", "cause", "corr", 7
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fullProgress() InstanceProgress {
	lag, sbm := int64(3), int64(-1)
	hb := time.Date(2026, 11, 24, 1, 2, 2, 0, time.FixedZone("x", 3600))
	return InstanceProgress{
		Key: InstanceKey{Hostname: "db1.example", Port: 3306}, Digest: "d1",
		SelfCoordinates: BinlogCoordinates{LogFile: "bin.000001", LogPos: 1 << 40},
		GTIDExecuted:    "uuid:1-5", GTIDCurrentPos: "0-1-5", GTIDSlavePos: "0-1-4", GTIDBinlogPos: "0-1-5",
		ReadCoordinates:  BinlogCoordinates{LogFile: "bin.000002", LogPos: 4},
		ExecCoordinates:  BinlogCoordinates{LogFile: "bin.000003", LogPos: 5},
		RelayCoordinates: BinlogCoordinates{LogFile: "relay.000001", LogPos: 6},
		RetrievedGTIDSet: "uuid:1-6", GTIDIOPos: "0-1-6", SecondsBehind: &sbm, LagSeconds: &lag,
		HeartbeatsReceived: 99, LastHeartbeat: &hb, Uptime: 86400, ProbeDuration: 1500 * time.Microsecond,
	}
}

func TestFastUnmarshalTakesWhatWeWrite(t *testing.T) {
	bodies := [][]byte{
		progressBody(t, fullProgress()),
		progressBody(t, InstanceProgress{Key: InstanceKey{Hostname: "h", Port: 1}}),
		progressBody(t, InstanceProgress{Key: InstanceKey{Hostname: "hé.例", Port: 1}, Digest: "ü"}),
	}
	obs, err := New(KindInstanceObserved, time.Unix(1, 0), "n2", InstanceObserved{Key: InstanceKey{Hostname: "h", Port: 2}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := obs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	bodies = append(bodies, b)
	for _, b := range bodies {
		if !checkSame(t, b) {
			t.Fatalf("fast path declined what Marshal wrote:\n%s", b)
		}
		e, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if (e.Kind == KindInstanceProgress) != (e.pre != nil) {
			t.Fatalf("%s: predecoded = %v", e.Kind, e.pre != nil)
		}
	}
}

// UnmarshalOwned decodes as Unmarshal does, but its strings share the buffer
// handed over instead of copying it (one allocation less per event), while
// Unmarshal's strings stay valid whatever becomes of the caller's buffer.
func TestUnmarshalOwnedSharesTheBuffer(t *testing.T) {
	body := progressBody(t, fullProgress())
	owned := bytes.Clone(body)
	o, err := UnmarshalOwned(owned)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Unmarshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var op, cp InstanceProgress
	if err := o.Decode(&op); err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(&cp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(op, cp) || op.Key != fullProgress().Key || op.GTIDCurrentPos != "0-1-5" {
		t.Fatalf("owned decode %+v, copying decode %+v", op, cp)
	}
	within := func(s string, b []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		start := uintptr(unsafe.Pointer(&b[0]))
		return p >= start && p+uintptr(len(s)) <= start+uintptr(len(b))
	}
	for _, s := range []string{o.ID, o.Origin, o.Cluster, op.Key.Hostname, op.GTIDCurrentPos} {
		if !within(s, owned) {
			t.Fatalf("owned decode copied %q instead of sharing the buffer", s)
		}
	}
	o.Payload, c.Payload = nil, nil
	o.pre, c.pre = nil, nil
	if !reflect.DeepEqual(o, c) {
		t.Fatalf("owned envelope %+v, copying one %+v", o, c)
	}
	id := c.ID
	for i := range body {
		body[i] = 'x'
	}
	if c.ID != id || cp.Key.Hostname != "db1.example" {
		t.Fatalf("Unmarshal's strings changed with the caller's buffer: %q, %q", c.ID, cp.Key.Hostname)
	}
	fresh := progressBody(t, fullProgress())
	copied := testing.AllocsPerRun(100, func() {
		if _, err := Unmarshal(fresh); err != nil {
			t.Fatal(err)
		}
	})
	shared := testing.AllocsPerRun(100, func() {
		if _, err := UnmarshalOwned(fresh); err != nil {
			t.Fatal(err)
		}
	})
	if shared >= copied {
		t.Fatalf("UnmarshalOwned allocates %v times per event, Unmarshal %v: want fewer", shared, copied)
	}
}

// Each case is an envelope the fast path must decline (encoding/json then
// decides) or decode exactly as encoding/json does.
func TestFastUnmarshalAgreesWithEncodingJSON(t *testing.T) {
	base := string(progressBody(t, fullProgress()))
	swap := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base lacks %q: %s", old, base)
		}
		return strings.Replace(base, old, new, 1)
	}
	cases := map[string]struct {
		body string
		fast bool // the fast path must take it
	}{
		"as written":           {base, true},
		"spaces":               {" \n{ \"id\" :\t\"x\" , \"kind\":\"note\",\"v\":1,\"time\":\"2026-01-01T00:00:00Z\",\"origin\":\"o\",\"payload\": { \"a\" : [ 1 , -2.5e+3 , true , null , \"\\u00e9\\n\" ] } }\r\n", true},
		"escaped key in skip":  {`{"id":"x","kind":"note","v":1,"time":"2026-01-01T00:00:00Z","origin":"o","payload":{"a\"b":{"\u0041":1}}}`, true},
		"escaped known key":    {swap(`"origin":"n1"`, `"\u006frigin":"n1"`), false},
		"escaped payload key":  {swap(`"digest":"d1"`, `"\u0064igest":"d1"`), true},
		"control in key":       {swap(`"origin":"n1"`, "\"ori\tgin\":\"n1\""), false},
		"empty payload object": {`{"id":"x","kind":"note","v":1,"time":"2026-01-01T00:00:00Z","origin":"o","payload":{}}`, true},
		"no payload":           {`{"id":"x","kind":"note","v":1,"time":"2026-01-01T00:00:00Z","origin":"o"}`, true},
		"escaped id":           {swap(`"origin":"n1"`, `"origin":"n\u0031"`), false},
		"escaped payload str":  {swap(`"digest":"d1"`, `"digest":"d\"1"`), true}, // envelope fast, payload not predecoded
		"upper-case key":       {swap(`"origin":`, `"Origin":`), false},
		"unknown key":          {swap(`"origin":`, `"x":1,"origin":`), false},
		"duplicate key":        {swap(`"origin":"n1"`, `"origin":"n1","origin":"n2"`), false},
		"dup payload key":      {swap(`"digest":"d1"`, `"digest":"d1","digest":"d2"`), true},
		"kind as number":       {swap(`"kind":"instance-progress"`, `"kind":2`), false},
		"unknown kind":         {swap(`"kind":"instance-progress"`, `"kind":"nope"`), false},
		"version float":        {swap(`"v":1`, `"v":1.0`), false},
		"version overflow":     {swap(`"v":1`, `"v":65536`), false},
		"version max":          {swap(`"v":1`, `"v":65535`), true},
		"version leading zero": {swap(`"v":1`, `"v":01`), false},
		"epoch max":            {swap(`"epoch":7`, `"epoch":18446744073709551615`), true},
		"epoch overflow":       {swap(`"epoch":7`, `"epoch":18446744073709551616`), false},
		"epoch negative":       {swap(`"epoch":7`, `"epoch":-7`), false},
		"null origin":          {swap(`"origin":"n1"`, `"origin":null`), false},
		"null time":            {swap(`"time":"2026-11-24T01:02:03.456789Z"`, `"time":null`), false},
		"bad time":             {swap(`"time":"2026-11-24T01:02:03.456789Z"`, `"time":"2026-11-24 01:02:03Z"`), false},
		"trailing garbage":     {base + "x", false},
		"two values":           {base + "{}", false},
		"truncated":            {base[:len(base)-1], false},
		"bad payload number":   {swap(`"uptime":86400`, `"uptime":0123`), false},
		"bad payload escape":   {swap(`"digest":"d1"`, `"digest":"d\x1"`), false},
		"control in string":    {swap(`"origin":"n1"`, "\"origin\":\"n\t1\""), false},
		"invalid utf-8":        {swap(`"origin":"n1"`, "\"origin\":\"n\xff1\""), false},
		"payload null":         {swap(`"payload":{`, `"payload":null,"x":{`), false},
		"payload int min":      {swap(`"uptime":86400`, `"uptime":-9223372036854775808`), true},
		"payload int overflow": {swap(`"uptime":86400`, `"uptime":9223372036854775808`), true},
		"payload minus zero":   {swap(`"uptime":86400`, `"uptime":-0`), true},
		"payload float":        {swap(`"uptime":86400`, `"uptime":1e3`), true},
		"payload null ptr":     {swap(`"lag_seconds":3`, `"lag_seconds":null`), true},
		"payload key case":     {swap(`"digest":`, `"Digest":`), true},
		"payload unknown key":  {swap(`"digest":`, `"new_field":[1,{"a":{}}],"digest":`), true},
		"payload bad port":     {swap(`"Port":3306`, `"Port":"3306"`), true},
		"deep payload":         {swap(`"digest":"d1"`, `"digest":"d1","deep":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if took := checkSame(t, []byte(c.body)); c.fast && !took {
				t.Fatalf("fast path declined:\n%s", c.body)
			}
		})
	}
}

func TestDecodeUsesPredecodedPayloadSafely(t *testing.T) {
	e, err := Unmarshal(progressBody(t, fullProgress()))
	if err != nil || e.pre == nil {
		t.Fatalf("Unmarshal: pre=%v err=%v", e.pre != nil, err)
	}
	var want, a, b InstanceProgress
	if err := json.Unmarshal(e.Payload, &want); err != nil {
		t.Fatal(err)
	}
	if err := e.Decode(&a); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("Decode = %+v, want %+v", a, want)
	}
	// The predecoded pointer fields share one allocation; Decode hands out
	// copies of them.
	pp := &e.pre.progress
	if pp.LagSeconds != &e.pre.slots.lag || pp.SecondsBehind != &e.pre.slots.secondsBehind || pp.LastHeartbeat != &e.pre.slots.lastHeartbeat {
		t.Fatal("predecoded pointer fields do not point into the predecoded slots")
	}
	if a.LagSeconds == pp.LagSeconds || a.SecondsBehind == pp.SecondsBehind || a.LastHeartbeat == pp.LastHeartbeat {
		t.Fatal("Decode handed out the predecoded payload's own pointers")
	}
	*a.LagSeconds, *a.SecondsBehind, *a.LastHeartbeat = 100, 100, time.Time{}
	if err := e.Decode(&b); err != nil || !reflect.DeepEqual(b, want) {
		t.Fatalf("a second Decode saw the first one's writes: %+v, %v", b, err)
	}
	// A non-zero target keeps the fields the payload lacks, as encoding/json does.
	e2, err := Unmarshal(progressBody(t, InstanceProgress{Key: InstanceKey{Hostname: "h", Port: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	c := InstanceProgress{GTIDExecuted: "kept"}
	if err := e2.Decode(&c); err != nil || c.GTIDExecuted != "kept" || c.Key.Hostname != "h" {
		t.Fatalf("Decode into a non-zero target = %+v, %v", c, err)
	}
	// A replaced payload is decoded afresh.
	e.Payload = json.RawMessage(`{"key":{"Hostname":"other","Port":2}}`)
	var d InstanceProgress
	if err := e.Decode(&d); err != nil || d.Key.Hostname != "other" || d.Digest != "" {
		t.Fatalf("Decode after the payload changed = %+v, %v", d, err)
	}
	// Another payload type is decoded by encoding/json.
	var o InstanceObserved
	if err := e2.Decode(&o); err != nil || o.Key.Hostname != "h" {
		t.Fatalf("Decode into another type = %+v, %v", o, err)
	}
}

func FuzzFastUnmarshal(f *testing.F) {
	f.Add(progressBody(f, fullProgress()))
	f.Add([]byte(`{"id":"x","kind":"note","v":1,"time":"2026-01-01T00:00:00Z","origin":"o","payload":{"a":[1,-2.5e+3,true,null,"\u00e9"]}}`))
	f.Add([]byte(`{"kind":"instance-progress","v":1,"payload":{"key":{"Hostname":"h","Port":-0},"lag_seconds":null}}`))
	f.Add([]byte(`{"key":{"Hostname":"h","Port":1},"digest":"d","self_coordinates":{"LogFile":"f","LogPos":-1},"last_heartbeat":"2026-01-01T00:00:00+01:00","lag_seconds":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSame(t, b)
		var fast, slow InstanceProgress
		if fastDecode(b, &fast) {
			if err := json.Unmarshal(b, &slow); err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("fastDecode(%s) = %+v; encoding/json: %+v, %v", b, fast, slow, err)
			}
		}
	})
}

func BenchmarkUnmarshalProgress(b *testing.B) {
	lag := int64(0)
	body := progressBody(b, InstanceProgress{Key: InstanceKey{Hostname: "10.1.0.17", Port: 3306}, Digest: "d1",
		GTIDCurrentPos: "0-1-123456", GTIDBinlogPos: "0-1-123456", LagSeconds: &lag,
		SelfCoordinates: BinlogCoordinates{LogFile: "binlog.000001", LogPos: 123456}})
	b.ReportAllocs()
	for b.Loop() {
		e, err := Unmarshal(body)
		if err != nil {
			b.Fatal(err)
		}
		var p InstanceProgress
		if err := e.Decode(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// strSpan takes the 8-bytes-at-a-time path over long strings: every byte
// value at every position must be judged as a byte-by-byte scan judges it.
func TestStrSpanEveryByteEveryPosition(t *testing.T) {
	for pos := range 20 {
		for c := range 256 {
			body := []byte(`"` + strings.Repeat("a", 20) + `"`)
			body[1+pos] = byte(c)
			sc := newScanner(body, string(body))
			start, end, ok := sc.strSpan()
			want := c >= 0x20 && c != '\\' && c < 0x80 // '"' ends the string early
			wantEnd := 21
			if c == '"' {
				want, wantEnd = true, 1+pos
			}
			if ok != want || (ok && (start != 1 || end != wantEnd)) {
				t.Fatalf("byte %#x at %d: strSpan = %d, %d, %v; want ok=%v end=%d", c, pos, start, end, ok, want, wantEnd)
			}
		}
	}
}
