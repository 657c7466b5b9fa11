package lab

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events/natsnode"
)

// NATSClusterSecret is the shared secret of every Regent node the lab
// starts (RegentConf): the nodes derive their NATS route and client
// credentials from it, and the tests theirs (NATSAuth).
const NATSClusterSecret = "regent-lab-shared-nats-secret-2026"

// NATSAuth is the nats.go option that authenticates as role
// (natsnode.RoleReader, RoleHooks, RoleAdmin) on a node whose cluster
// secret is secret (NATSClusterSecret for the lab's nodes).
func NATSAuth(tb testing.TB, secret, role string) nats.Option {
	tb.Helper()
	creds, err := natsnode.NewCredentials(secret)
	if err != nil {
		tb.Fatalf("lab: NATS credentials: %v", err)
	}
	user, err := natsnode.RoleUser(role, "")
	if err != nil {
		tb.Fatalf("lab: NATS credentials: %v", err)
	}
	return nats.UserInfo(user, creds.Password(user))
}
