package natsnode_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// TestClientAuthentication: User/Password and Token guard the client port,
// and InProcessConn presents them itself.
func TestClientAuthentication(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*natsnode.Options)
		good  nats.Option
		wrong []nats.Option
	}{
		{"user and password", func(o *natsnode.Options) { o.User, o.Password = "regent", "pw" },
			nats.UserInfo("regent", "pw"), []nats.Option{nats.UserInfo("regent", "nope"), nats.UserInfo("other", "pw"), nats.Token("pw")}},
		{"token", func(o *natsnode.Options) { o.Token = "tok" },
			nats.Token("tok"), []nats.Option{nats.Token("nope"), nats.UserInfo("tok", "tok")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := natstest.Options(t, "auth")
			tt.set(&o)
			n, err := natsnode.Start(o, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(n.Shutdown)
			url := n.ClientURL()
			connect := func(opt nats.Option) error {
				opts := []nats.Option{nats.Timeout(2 * time.Second), nats.NoReconnect()}
				if opt != nil {
					opts = append(opts, opt)
				}
				nc, err := nats.Connect(url, opts...)
				if err == nil {
					nc.Close()
				}
				return err
			}
			if err := connect(nil); !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("no credentials: err %v, want an authorization violation", err)
			}
			for i, w := range tt.wrong {
				if err := connect(w); err == nil {
					t.Errorf("wrong credentials %d accepted", i)
				}
			}
			if err := connect(tt.good); err != nil {
				t.Errorf("right credentials refused: %v", err)
			}
			nc, err := n.InProcessConn("self")
			if err != nil {
				t.Fatalf("in-process connection with the node's own credentials: %v", err)
			}
			nc.Close()
		})
	}
}
