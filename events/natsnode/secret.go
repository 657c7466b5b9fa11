package natsnode

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// SecretFileName is where a single node keeps the cluster secret it
// generated on first start, in its data directory (mode 0600).
const SecretFileName = "nats-secret"

// ErrNoSecret: a node has no cluster secret (clustered without one, or a
// single node that never started).
var ErrNoSecret = errors.New("no NATS cluster secret")

// SecretSource says where a node's cluster secret comes from: the
// configured secret (NATSClusterSecret, or the file NATSClusterSecretFile
// names, read), else, on a single node only, the file SecretFileName in
// DataDir.
type SecretSource struct {
	Secret    string
	Clustered bool
	DataDir   string
}

// ClusterSecret is the secret every NATS credential of the node derives
// from (Credentials). A single node without a configured secret reads the
// one it generated in DataDir, generating it there first when create is
// true. A cluster without a configured secret has none: its nodes could
// not agree on one.
func ClusterSecret(src SecretSource, create bool) (string, error) {
	if src.Secret != "" {
		return src.Secret, nil
	}
	if src.Clustered {
		return "", fmt.Errorf("%w: a cluster's nodes derive their NATS credentials from one shared secret: "+
			"set NATSClusterSecret (or NATSClusterSecretFile) to the same value on every node", ErrNoSecret)
	}
	path := filepath.Join(src.DataDir, SecretFileName)
	s, err := readSecretFile(path)
	switch {
	case err == nil:
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	case !create:
		return "", fmt.Errorf("%w: %s does not exist (start the node once, or set NATSClusterSecret)", ErrNoSecret, path)
	}
	return createSecret(path)
}

// readSecretFile reads a generated secret (an error wrapping
// fs.ErrNotExist when there is none).
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the NATS secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < MinSecretLen {
		return "", fmt.Errorf("%w: %s holds %d bytes, want at least %d", ErrNoSecret, path, len(s), MinSecretLen)
	}
	return s, nil
}

// createSecret writes a fresh random secret to path, atomically and only
// if path does not exist yet (a concurrent creator's secret wins).
func createSecret(path string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate the NATS secret: %w", err)
	}
	secret := hex.EncodeToString(b[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("create data dir for the NATS secret: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), SecretFileName+".*")
	if err != nil {
		return "", fmt.Errorf("write the NATS secret: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	// CreateTemp makes the file 0600.
	_, werr := tmp.WriteString(secret + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("write the NATS secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readSecretFile(path)
		}
		return "", fmt.Errorf("write the NATS secret: %w", err)
	}
	return secret, nil
}

// Identities are the NATS identities of a node's cluster, derived from its
// cluster secret, with the operator's overrides.
type Identities struct {
	Secret SecretSource
	// Nodes are every node's NodeID; Self is this node's.
	Nodes []string
	Self  string
	// Admin replaces the derived admin identity when its User is set
	// (NATSUser/NATSPassword); Route the derived route identity
	// (NATSClusterUser/NATSClusterPassword).
	Admin, Route UserPass
}

// Apply fills o's client identities (every node's, reader, hooks, admin),
// the identity of the node's own connections (Self's) and, on a cluster,
// the route credentials. A single node without a configured secret
// generates one first.
func (id Identities) Apply(o *Options) error {
	secret, err := ClusterSecret(id.Secret, true)
	if err != nil {
		return err
	}
	creds, err := NewCredentials(secret)
	if err != nil {
		return fmt.Errorf("NATSClusterSecret: %w", err)
	}
	o.Users = creds.Users(id.Nodes, id.Admin)
	self := NodeUser(id.Self)
	o.Self = UserPass{User: self, Password: creds.Password(self)}
	if o.Cluster != nil {
		r := creds.Route()
		if id.Route.User != "" {
			r = id.Route
		}
		o.Cluster.User, o.Cluster.Password = r.User, r.Password
	}
	return nil
}

// Role is the identity of role (RoleNode: Self's; RoleAdmin: Admin when
// set), derived from the secret without creating one.
func (id Identities) Role(role string) (UserPass, error) {
	user, err := RoleUser(role, id.Self)
	if err != nil {
		return UserPass{}, err
	}
	if role == RoleAdmin && id.Admin.User != "" {
		return id.Admin, nil
	}
	secret, err := ClusterSecret(id.Secret, false)
	if err != nil {
		return UserPass{}, err
	}
	creds, err := NewCredentials(secret)
	if err != nil {
		return UserPass{}, err
	}
	return UserPass{User: user, Password: creds.Password(user)}, nil
}

// RoleURL is the URL a client on the node's host reaches its NATS
// listener (listen, host:port) at with up's credentials:
// nats://user:password@host:port, tls:// when the listener has TLS; a
// wildcard or empty host is reached at 127.0.0.1.
func RoleURL(listen string, tls bool, up UserPass) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("NATSListenAddress %q: %w", listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "nats"
	if tls {
		scheme = "tls"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(up.User, up.Password), Host: net.JoinHostPort(host, port)}
	return u.String(), nil
}
