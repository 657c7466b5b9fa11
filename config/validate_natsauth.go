package config

import (
	"net/url"
)

// MinClusterSecretLen is the shortest NATSClusterSecret accepted.
const MinClusterSecretLen = 16

// checkNATSAuth: no anonymous NATS in any mode. The embedded node derives
// its users from NATSClusterSecret (a single node generates one in
// RaftDataDir when it is not set; a cluster's nodes must share one); an
// external NATS needs credentials.
func (c Config) checkNATSAuth(ck *checker) {
	if c.External() {
		if c.NATSCredentialsFile == "" && c.NATSUser == "" && c.NATSToken == "" && !urlsHaveUser(c.NATSServers) {
			ck.badNear("NATSCredentialsFile", "NATSServers",
				"an external NATS (NATSServers) needs credentials: set NATSCredentialsFile, NATSUser/NATSPassword or NATSToken (anonymous NATS is refused)")
		}
		return
	}
	if c.NATSToken != "" {
		ck.bad("NATSToken", "the embedded NATS authenticates per-role users (node, reader, hooks, admin) derived from NATSClusterSecret, "+
			"which nats-server cannot combine with a token: remove NATSToken (NATSUser/NATSPassword set the admin identity; NATSToken is for NATSServers)")
	}
	if c.NATSUser != "" && c.NATSPassword == "" {
		ck.badNear("NATSPassword", "NATSUser", "must be set with NATSUser (the embedded node's admin identity)")
	}
	if s := c.NATSClusterSecret; s != "" && len(s) < MinClusterSecretLen {
		ck.bad("NATSClusterSecret", "has %d characters, want at least %d (e.g. `openssl rand -hex 32`)", len(s), MinClusterSecretLen)
	}
	if !c.Clustered() {
		return
	}
	if c.NATSClusterSecret == "" {
		ck.badNear("NATSClusterSecret", "RaftNodes",
			"must be set on a cluster (or NATSClusterSecretFile): every node derives the NATS route and client credentials from this shared secret; "+
				"generate one with `openssl rand -hex 32` and give it to every node")
	}
	if self := c.Self(); c.NodeName != "" && c.NodeName != self.Name {
		ck.bad("NodeName", "%q differs from this node's RaftNodes entry %s: on a cluster a node's NATS identity and observation origin are its RaftNodes entry; remove NodeName",
			c.NodeName, self.Name)
	}
}

// urlsHaveUser reports whether a NATSServers URL carries credentials.
func urlsHaveUser(servers []string) bool {
	for _, s := range servers {
		if u, err := url.Parse(s); err == nil && u.User != nil && u.User.Username() != "" {
			return true
		}
	}
	return false
}
