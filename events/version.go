package events

import (
	"encoding/json"
	"fmt"
)

// currentVersions holds the payload schema version writers use for each kind.
// A kind absent here is at version 1. Raise a version only together with an
// upgrader from the previous version in upgraders, and a golden file in
// testdata/<kind>/v<N>.json.
var currentVersions = map[Kind]uint16{}

// upgraders[k][v] turns a version-v payload of kind k into version v+1.
var upgraders = map[Kind]map[uint16]func(json.RawMessage) (json.RawMessage, error){}

// CurrentVersion is the payload version this build writes for kind.
func CurrentVersion(k Kind) uint16 {
	if v, ok := currentVersions[k]; ok {
		return v
	}
	return 1
}

// Decode upgrades the envelope's payload to the current version and decodes
// it into v. A payload Unmarshal already decoded is copied, not read again.
func (e Envelope) Decode(v any) error {
	if e.pre.matches(e.Payload) && e.pre.decodeInto(v) {
		return nil
	}
	if e.Version >= CurrentVersion(e.Kind) && fastDecode(e.Payload, v) {
		return nil
	}
	p := e.Payload
	for ver := e.Version; ver < CurrentVersion(e.Kind); ver++ {
		up, ok := upgraders[e.Kind][ver]
		if !ok {
			return fmt.Errorf("decode %s payload: no upgrade from version %d", e.Kind, ver)
		}
		var err error
		if p, err = up(p); err != nil {
			return fmt.Errorf("decode %s payload: upgrade from version %d: %w", e.Kind, ver, err)
		}
	}
	if len(p) == 0 {
		return fmt.Errorf("decode %s payload: empty", e.Kind)
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("decode %s payload: %w", e.Kind, err)
	}
	return nil
}
