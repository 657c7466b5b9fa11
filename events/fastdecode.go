package events

import (
	"encoding/json"
	"time"
	"unsafe"
)

// The fast decoding path: Unmarshal first reads the envelope with the
// strict scanner and, for the hot payload kinds, decodes the payload in the
// same pass; Decode then hands out the decoded payload instead of reading
// the JSON again. Whatever the scanner does not understand is decoded by
// encoding/json, so the results are the same either way (fastdecode_test.go
// checks this on every field).

// predecoded is a payload decoded by Unmarshal, kept with the envelope.
type predecoded struct {
	raw      json.RawMessage // the Payload it was decoded from
	progress InstanceProgress
	// slots hold what progress's pointer fields point to (one allocation
	// instead of one per field; decodeInto hands out copies).
	slots progressSlots
}

// matches reports whether p was decoded from payload (the very bytes, not a
// copy: an envelope whose Payload was replaced decodes it afresh).
func (p *predecoded) matches(payload json.RawMessage) bool {
	return p != nil && len(p.raw) == len(payload) && len(payload) > 0 && &p.raw[0] == &payload[0]
}

// decodeInto copies the predecoded payload into v when v is a pointer to a
// zero value of its type (encoding/json would keep the fields of a non-zero
// target that the payload lacks). Pointer fields are copied, not shared.
func (p *predecoded) decodeInto(v any) bool {
	switch d := v.(type) {
	case *InstanceProgress:
		if *d != (InstanceProgress{}) {
			return false
		}
		*d = p.progress
		d.SecondsBehind = cloneInt(d.SecondsBehind)
		d.LagSeconds = cloneInt(d.LagSeconds)
		if d.LastHeartbeat != nil {
			t := *d.LastHeartbeat
			d.LastHeartbeat = &t
		}
		return true
	}
	return false
}

// fastDecode decodes a current-version payload the scanner understands
// into v, when v is a pointer to a zero value of a hot payload type.
func fastDecode(payload json.RawMessage, v any) bool {
	d, ok := v.(*InstanceProgress)
	if !ok || *d != (InstanceProgress{}) || len(payload) == 0 {
		return false
	}
	var p InstanceProgress
	sc := newScanner(payload, string(payload))
	if !sc.progress(&p, nil) || !sc.end() {
		return false
	}
	*d = p
	return true
}

func cloneInt(p *int64) *int64 {
	if p == nil {
		return nil
	}
	n := *p
	return &n
}

// Envelope field bits, to refuse a key given twice.
const (
	fID = 1 << iota
	fKind
	fVersion
	fTime
	fCluster
	fInstance
	fOrigin
	fCausation
	fCorrelation
	fEpoch
	fPayload
)

// fastUnmarshal decodes b as encoding/json would, or reports false. When
// owned, the payload and every string decoded share b's memory instead of
// copying it (see ownedString).
func fastUnmarshal(b []byte, owned bool) (Envelope, bool) {
	var s string
	if owned {
		s = ownedString(b)
	} else {
		s = string(b)
	}
	sc := newScanner(b, s)
	var e Envelope
	var seen uint32
	var pStart, pEnd int
	var pre *predecoded
	ok := sc.object(func(key string) bool {
		bit, ok := sc.envelopeField(&e, key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if bit == fPayload {
			pre, pStart, pEnd, ok = sc.payload(e.Kind, e.Version, seen&fKind != 0 && seen&fVersion != 0)
		}
		return ok
	})
	if !ok || !sc.end() {
		return Envelope{}, false
	}
	if seen&fPayload != 0 {
		if owned {
			e.Payload = json.RawMessage(b[pStart:pEnd:pEnd])
		} else {
			e.Payload = json.RawMessage(sc.s[pStart:pEnd])
		}
		if pre != nil {
			pre.raw, e.pre = e.Payload, pre
		}
	}
	return e, true
}

// ownedString is b's bytes as a string without a copy. It is only for a
// buffer handed over to UnmarshalOwned: nothing writes to it afterwards
// (the envelope's Payload is the only slice of it given out, and nothing in
// Regent writes into a Payload), so the string is as immutable as any.
// Copying it was one allocation and ≈ 500 bytes per event read.
func ownedString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// payload reads the envelope's payload and returns its bounds. When the
// kind and version were read before it (known) and the payload is a
// current progress payload the scanner understands, it is decoded in the
// same pass; otherwise it is only checked.
func (sc *scanner) payload(k Kind, v uint16, known bool) (*predecoded, int, int, bool) {
	sc.ws()
	start := sc.i
	if known && k == KindInstanceProgress && v == CurrentVersion(k) {
		p := new(predecoded)
		if sc.progress(&p.progress, &p.slots) {
			return p, start, sc.i, true
		}
		sc.i, sc.ok = start, true // not for the fast path: check it only
	}
	start, end, ok := sc.skip()
	return nil, start, end, ok
}

// envelopeField reads the value of key into e (the payload is left to the
// caller) and returns the key's bit.
func (sc *scanner) envelopeField(e *Envelope, key string) (uint32, bool) {
	var ok bool
	switch key {
	case "id":
		e.ID, ok = sc.str()
		return fID, ok
	case "kind":
		var name string
		if name, ok = sc.str(); ok {
			var err error
			e.Kind, err = ParseKind(name)
			ok = err == nil
		}
		return fKind, ok
	case "v":
		var n uint64
		n, ok = sc.uint(1<<16 - 1)
		e.Version = uint16(n)
		return fVersion, ok
	case "time":
		e.Time, ok = sc.time()
		return fTime, ok
	case "cluster":
		e.Cluster, ok = sc.str()
		return fCluster, ok
	case "instance":
		e.Instance, ok = sc.str()
		return fInstance, ok
	case "origin":
		e.Origin, ok = sc.str()
		return fOrigin, ok
	case "causation":
		e.CausationID, ok = sc.str()
		return fCausation, ok
	case "correlation":
		e.CorrelationID, ok = sc.str()
		return fCorrelation, ok
	case "epoch":
		e.Epoch, ok = sc.uint(1<<64 - 1)
		return fEpoch, ok
	case "payload":
		return fPayload, true
	}
	return 0, sc.fail()
}

// time reads a time as time.Time's UnmarshalJSON does.
func (sc *scanner) time() (time.Time, bool) {
	sc.ws()
	start := sc.i
	if _, _, ok := sc.strSpan(); !ok {
		return time.Time{}, false
	}
	var t time.Time
	if err := t.UnmarshalJSON(sc.b[start:sc.i]); err != nil {
		return time.Time{}, sc.fail()
	}
	return t, true
}
