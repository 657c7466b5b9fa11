package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// MastersBucket is the KV bucket where the leader publishes each cluster's
// primary for proxies and scripts (orchestrator's KV store pairs).
const MastersBucket = events.MastersBucket

// Masters writes key/value pairs to MastersBucket, creating the bucket on
// first use (replicated as the streams are, one value per key). Safe for
// concurrent use.
type Masters struct {
	l  *Log
	mu sync.Mutex // guards kv
	kv jetstream.KeyValue
}

// NewMasters returns the writer of l's masters bucket.
func (l *Log) NewMasters() *Masters { return &Masters{l: l} }

func (m *Masters) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kv != nil {
		return m.kv, nil
	}
	replicas := 1
	if len(m.l.specs) > 0 {
		replicas = m.l.specs[0].Replicas
	}
	kv, err := m.l.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      MastersBucket,
		Description: "Each cluster's primary, keyed as orchestrator's KVClusterMasterPrefix pairs; written by the Regent leader",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", MastersBucket, err)
	}
	m.kv = kv
	return kv, nil
}

// Put writes value at key unless the bucket already holds it (force writes
// it anyway, as orchestrator's submit-masters-to-kv-stores does); it
// reports whether it wrote.
func (m *Masters) Put(ctx context.Context, key, value string, force bool) (bool, error) {
	kv, err := m.bucket(ctx)
	if err != nil {
		return false, err
	}
	if !force {
		e, err := kv.Get(ctx, key)
		switch {
		case err == nil && string(e.Value()) == value:
			return false, nil
		case err != nil && !errors.Is(err, jetstream.ErrKeyNotFound):
			return false, fmt.Errorf("read %s key %s: %w", MastersBucket, key, err)
		}
	}
	if _, err := kv.Put(ctx, key, []byte(value)); err != nil {
		return false, fmt.Errorf("write %s key %s: %w", MastersBucket, key, err)
	}
	return true, nil
}

// Get reads key's value; found is false when the bucket or key does not
// exist.
func (m *Masters) Get(ctx context.Context, key string) (value string, found bool, err error) {
	kv, err := m.bucket(ctx)
	if err != nil {
		return "", false, err
	}
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s key %s: %w", MastersBucket, key, err)
	}
	return string(e.Value()), true, nil
}
