package natsnode_test

import (
	"errors"
	"strings"
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
		{"derived users", func(o *natsnode.Options) {
			creds, _ := natsnode.NewCredentials("node-test-secret-0123456789")
			o.Users = creds.Users([]string{"n1"}, natsnode.UserPass{})
			o.Self = natsnode.UserPass{User: natsnode.NodeUser("n1"), Password: creds.Password(natsnode.NodeUser("n1"))}
		}, nats.UserInfo("reader", readerPassword()), []nats.Option{nats.UserInfo("reader", "nope"), nats.UserInfo("admin", readerPassword()), nats.Token("x")}},
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

func readerPassword() string {
	creds, _ := natsnode.NewCredentials("node-test-secret-0123456789")
	return creds.Password(natsnode.RoleReader)
}

// TestRoutesNeedCredentials: a clustered node without route credentials
// does not start (routes always authenticate), nor do Users beside a token.
func TestRoutesNeedCredentials(t *testing.T) {
	o := natstest.Options(t, "n1")
	o.Cluster = &natsnode.ClusterOptions{Name: "c", Host: "127.0.0.1", Port: natstest.FreePort(t)}
	if n, err := natsnode.Start(o, 5*time.Second); err == nil || !strings.Contains(err.Error(), "route credentials") {
		if n != nil {
			n.Shutdown()
		}
		t.Errorf("clustered without route credentials: %v, want a refusal", err)
	}
	o = natstest.Options(t, "n1")
	creds, _ := natsnode.NewCredentials("node-test-secret-0123456789")
	o.Users, o.Token = creds.Users([]string{"n1"}, natsnode.UserPass{}), "tok"
	if n, err := natsnode.Start(o, 5*time.Second); err == nil {
		n.Shutdown()
		t.Error("Users and Token together were accepted")
	}
}
