package natsclient_test

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events/natsclient"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// TestConnectWithTokenAndInProcess: a token identity over TCP, and the
// embedded server in-process; a wrong token is refused.
func TestConnectWithTokenAndInProcess(t *testing.T) {
	o := natstest.Options(t, "token")
	o.Token = "s3cret-token"
	n, err := natsnode.Start(o, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	nc, err := natsclient.Connect(natsclient.Options{Name: "t", Servers: []string{n.ClientURL()}, Auth: natsclient.Auth{Token: "s3cret-token"}})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	nc.Close()
	if nc, err := natsclient.Connect(natsclient.Options{Servers: []string{n.ClientURL()}, Auth: natsclient.Auth{Token: "wrong"}, Timeout: time.Second}); err == nil {
		nc.Close()
		t.Error("a wrong token was accepted")
	}
	nc, err = natsclient.Connect(natsclient.Options{Name: "in-process", InProcess: n.InProcessProvider(), Auth: natsclient.Auth{Token: "s3cret-token"}, Reconnect: true})
	if err != nil {
		t.Fatalf("in-process: %v", err)
	}
	defer nc.Close()
	if !nc.IsConnected() || nc.Opts.Name != "in-process" || nc.Opts.MaxReconnect != -1 {
		t.Errorf("in-process connection: connected %v name %q reconnects %d", nc.IsConnected(), nc.Opts.Name, nc.Opts.MaxReconnect)
	}
}
