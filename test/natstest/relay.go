package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Relay copies the records of stream on filter into deliver as nc would as
// an attacker: a push consumer delivering into deliver, nc subscribed there
// (a push consumer delivers only where someone listens) until a record
// arrived, then the consumer deleted. A stream whose subjects cover
// deliver stores the copy.
func Relay(t testing.TB, nc *nats.Conn, stream, filter, deliver string) {
	t.Helper()
	sub, err := nc.SubscribeSync(deliver)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	ci, err := js.AddConsumer(stream, &nats.ConsumerConfig{DeliverSubject: deliver, FilterSubject: filter,
		AckPolicy: nats.AckNonePolicy, DeliverPolicy: nats.DeliverAllPolicy}, nats.MaxWait(2*time.Second))
	if err != nil {
		t.Fatalf("create a push consumer of %s delivering into %s: %v", stream, deliver, err)
	}
	if _, err := sub.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("the push consumer of %s on %s delivered nothing into %s: %v", stream, filter, deliver, err)
	}
	if err := js.DeleteConsumer(stream, ci.Name); err != nil {
		t.Fatalf("delete the consumer of %s: %v", stream, err)
	}
}
