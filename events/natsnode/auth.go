package natsnode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/regent-ha/regent/events"
)

// Roles of the NATS identities an embedded node knows. Every identity's
// password is derived from the cluster secret (Credentials), so the nodes
// of a cluster agree on them without exchanging anything.
const (
	// RoleNode is a Regent node: it publishes its own observations,
	// Regent's events and the lease, and runs the JetStream API.
	RoleNode = "node"
	// RoleReader reads: it subscribes to regent.> and reads the streams
	// (nats sub, nats stream ls, regent replay) and publishes nothing else
	// than the read-only JetStream API requests.
	RoleReader = "reader"
	// RoleHooks is a hook consumer (regent hooks consume): a reader that
	// may also keep durable consumers and append dead-letter events.
	RoleHooks = "hooks"
	// RoleAdmin is an operator: everything.
	RoleAdmin = "admin"
	// RouteUser is the user name routes authenticate with.
	RouteUser = "route"
	// MinSecretLen is the shortest cluster secret accepted.
	MinSecretLen = 16
)

// Credentials derives every NATS password from one cluster secret:
// Password(user) = base64url(HMAC-SHA256(secret, "regent/nats/" + user)),
// without padding.
type Credentials struct{ secret []byte }

// NewCredentials checks secret (at least MinSecretLen bytes).
func NewCredentials(secret string) (Credentials, error) {
	if len(secret) < MinSecretLen {
		return Credentials{}, fmt.Errorf("natsnode: the cluster secret has %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	return Credentials{secret: []byte(secret)}, nil
}

// Password is user's password.
func (c Credentials) Password(user string) string {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte("regent/nats/" + user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NodeUser is the user name of node (its NodeID): "node-" + events.Token(node).
func NodeUser(node string) string { return "node-" + events.Token(node) }

// RoleUser is the user name of a role; for RoleNode, of node.
func RoleUser(role, node string) (string, error) {
	switch role {
	case RoleNode:
		if node == "" {
			return "", errors.New("natsnode: the node role needs a node name")
		}
		return NodeUser(node), nil
	case RoleReader, RoleHooks, RoleAdmin:
		return role, nil
	}
	return "", fmt.Errorf("natsnode: unknown role %q (want %s, %s, %s or %s)", role, RoleReader, RoleHooks, RoleNode, RoleAdmin)
}

// UserPass is one identity.
type UserPass struct{ User, Password string }

// Users returns the identities of a node whose cluster has the given nodes
// (every peer's NodeID): one node identity per node, reader, hooks, and
// admin (admin overrides the derived admin identity when its User is set).
func (c Credentials) Users(nodes []string, admin UserPass) []*server.User {
	var out []*server.User
	for _, n := range nodes {
		u := NodeUser(n)
		out = append(out, &server.User{Username: u, Password: c.Password(u), Permissions: NodePermissions(n)})
	}
	out = append(out,
		&server.User{Username: RoleReader, Password: c.Password(RoleReader), Permissions: ReaderPermissions()},
		&server.User{Username: RoleHooks, Password: c.Password(RoleHooks), Permissions: HooksPermissions()})
	if admin.User == "" {
		admin = UserPass{RoleAdmin, c.Password(RoleAdmin)}
	}
	return append(out, &server.User{Username: admin.User, Password: admin.Password}) // no permissions: everything
}

// Route is the route identity.
func (c Credentials) Route() UserPass { return UserPass{RouteUser, c.Password(RouteUser)} }

// readAPI are the JetStream API subjects a reader publishes to: account
// info, stream names, list and info, message get (direct and through the
// leader), and consumers of Regent's two streams only (create, info, next,
// delete), plus the flow-control replies of their deliveries (readers use
// ordered consumers, which need no acks: with $JS.ACK.> a reader, who sees
// every inbox, could acknowledge the hook consumers' deliveries). The
// consumers are limited to REGENT_EVENTS and REGENT_OBS: a push consumer
// delivers where its creator says, and one on the lease bucket's stream
// could copy the lease's records into the event log.
func readAPI() []string {
	out := []string{
		"$JS.API.INFO",
		"$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
		"$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
		"$JS.FC.>",
	}
	for _, s := range []string{events.EventsName, events.ObservationsName} {
		out = append(out,
			"$JS.API.CONSUMER.CREATE."+s, "$JS.API.CONSUMER.CREATE."+s+".>",
			"$JS.API.CONSUMER.INFO."+s+".*", "$JS.API.CONSUMER.NAMES."+s, "$JS.API.CONSUMER.LIST."+s,
			"$JS.API.CONSUMER.MSG.NEXT."+s+".*", "$JS.API.CONSUMER.DELETE."+s+".*")
	}
	return out
}

// NodePermissions: node publishes its own observations (and no other
// node's), Regent's events, the lease and masters buckets and the JetStream API;
// subscribes to everything.
func NodePermissions(node string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			events.NodeObservations(node), events.EventsAll,
			"$KV." + events.LeaseBucket + ".>", "$KV." + events.MastersBucket + ".>",
			"$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "_INBOX.>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{">"}},
	}
}

// ReaderPermissions: subscribe to regent.>, the masters bucket's updates
// ($KV.REGENT_MASTERS.>, to follow the primaries live) and the inboxes;
// publish only the read-only JetStream API (readAPI: direct gets read the
// bucket's current values). No consumer on the bucket's stream, for the
// reason readAPI gives.
func ReaderPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: readAPI()},
		Subscribe: &server.SubjectPermission{Allow: []string{events.Prefix + ".>", "$KV." + events.MastersBucket + ".>", "_INBOX.>"}},
	}
}

// HooksPermissions: a reader that also keeps durable consumers (the legacy
// durable-create subject) and appends dead-letter events.
func HooksPermissions() *server.Permissions {
	p := ReaderPermissions()
	p.Publish.Allow = append(p.Publish.Allow, "$JS.API.CONSUMER.DURABLE.CREATE."+events.EventsName+".*", "$JS.ACK.>",
		events.EventRoot+".*."+events.KindDeadLetter.String())
	return p
}
