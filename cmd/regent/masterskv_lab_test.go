package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/lab"
)

// labMasterInBucket reads, as the reader role through natsAddr, the
// masters bucket's value for alias, and fails unless it is want.
func labMasterInBucket(t testing.TB, natsAddr, alias, want string) error {
	t.Helper()
	nc, err := nats.Connect("nats://"+natsAddr, nats.Timeout(2*time.Second), lab.NATSAuth(t, lab.NATSClusterSecret, natsnode.RoleReader))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, events.MastersBucket)
	if err != nil {
		return err
	}
	key := "mysql/master/" + control.KVKeyPart(alias)
	e, err := kv.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	if got := string(e.Value()); got != want {
		return fmt.Errorf("%s = %s, want %s", key, got, want)
	}
	return nil
}

// labSubmitMasters runs submit-masters-to-kv-stores through apiURL and
// checks that its pairs name want as alias's primary.
func labSubmitMasters(t testing.TB, apiURL, alias, want string) error {
	t.Helper()
	code, body, err := httpGet(apiURL + "/api/submit-masters-to-kv-stores")
	if err != nil || code != 200 {
		return fmt.Errorf("submit-masters-to-kv-stores: %d %v %s", code, err, body)
	}
	var r struct {
		Message string
		Details []struct{ Key, Value string }
	}
	if err := json.Unmarshal(body, &r); err != nil || !strings.HasPrefix(r.Message, "Submitted ") {
		return fmt.Errorf("submit-masters-to-kv-stores: %v %s", err, body)
	}
	key := "mysql/master/" + control.KVKeyPart(alias)
	host, port, _ := strings.Cut(want, ":")
	wantPairs := map[string]string{key: want, key + "/hostname": host, key + "/port": port, key + "/ipv4": host}
	for _, p := range r.Details {
		if w, ok := wantPairs[p.Key]; ok && w == p.Value {
			delete(wantPairs, p.Key)
		}
	}
	if len(wantPairs) > 0 {
		return fmt.Errorf("submit-masters-to-kv-stores lacks %v: %s", wantPairs, body)
	}
	return nil
}
