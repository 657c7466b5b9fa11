package main

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

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/natsnode"
)

// secretFileName is where a single node keeps the cluster secret it
// generated on first start, in RaftDataDir (mode 0600).
const secretFileName = "nats-secret"

// errNoSecret: a node has no cluster secret (clustered without
// NATSClusterSecret, or a single node that never started).
var errNoSecret = errors.New("no NATS cluster secret")

// clusterSecret is NATSClusterSecret (NATSClusterSecretFile was read into
// it by Load); else, on a single node, the secret in RaftDataDir, generated
// there first when create is true. A cluster without NATSClusterSecret has
// none: its nodes could not agree on one.
func clusterSecret(cfg config.Config, create bool) (string, error) {
	if cfg.NATSClusterSecret != "" {
		return cfg.NATSClusterSecret, nil
	}
	if cfg.Clustered() {
		return "", fmt.Errorf("%w: a cluster's nodes derive their NATS credentials from one shared secret: "+
			"set NATSClusterSecret (or NATSClusterSecretFile) to the same value on every node", errNoSecret)
	}
	path := filepath.Join(cfg.RaftDataDir, secretFileName)
	s, err := readSecretFile(path)
	switch {
	case err == nil:
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	case !create:
		return "", fmt.Errorf("%w: %s does not exist (start the node once, or set NATSClusterSecret)", errNoSecret, path)
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
	if len(s) < natsnode.MinSecretLen {
		return "", fmt.Errorf("%w: %s holds %d bytes, want at least %d", errNoSecret, path, len(s), natsnode.MinSecretLen)
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
	tmp, err := os.CreateTemp(filepath.Dir(path), secretFileName+".*")
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

// nodeIDs are the NodeIDs of every node of the cluster: each RaftNodes
// entry when clustered, else this node alone.
func nodeIDs(cfg config.Config) ([]string, error) {
	if !cfg.Clustered() {
		return []string{cfg.NodeID()}, nil
	}
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = p.Name
	}
	return ids, nil
}

// embeddedAuth fills o's client identities and c's route credentials from
// the cluster secret: every node's identity, reader, hooks and admin
// (NATSUser/NATSPassword, when set, replace the derived admin); the node's
// own connections use its node identity.
func embeddedAuth(cfg config.Config, o *natsnode.Options) error {
	secret, err := clusterSecret(cfg, true)
	if err != nil {
		return err
	}
	creds, err := natsnode.NewCredentials(secret)
	if err != nil {
		return fmt.Errorf("NATSClusterSecret: %w", err)
	}
	ids, err := nodeIDs(cfg)
	if err != nil {
		return err
	}
	o.Users = creds.Users(ids, natsnode.UserPass{User: cfg.NATSUser, Password: cfg.NATSPassword})
	self := natsnode.NodeUser(cfg.NodeID())
	o.Self = natsnode.UserPass{User: self, Password: creds.Password(self)}
	if o.Cluster != nil {
		r := creds.Route()
		if cfg.NATSClusterUser != "" {
			r = natsnode.UserPass{User: cfg.NATSClusterUser, Password: cfg.NATSClusterPassword}
		}
		o.Cluster.User, o.Cluster.Password = r.User, r.Password
	}
	return nil
}

// roleAuth is the user and password of role on cfg's embedded node (for
// RoleNode: this node's identity; for RoleAdmin: NATSUser/NATSPassword
// when set).
func roleAuth(cfg config.Config, role string) (natsnode.UserPass, error) {
	if cfg.External() {
		return natsnode.UserPass{}, errors.New("this node uses an external NATS (NATSServers): its credentials are the operator's, not derived by Regent")
	}
	user, err := natsnode.RoleUser(role, cfg.NodeID())
	if err != nil {
		return natsnode.UserPass{}, err
	}
	if role == natsnode.RoleAdmin && cfg.NATSUser != "" {
		return natsnode.UserPass{User: cfg.NATSUser, Password: cfg.NATSPassword}, nil
	}
	secret, err := clusterSecret(cfg, false)
	if err != nil {
		return natsnode.UserPass{}, err
	}
	creds, err := natsnode.NewCredentials(secret)
	if err != nil {
		return natsnode.UserPass{}, err
	}
	return natsnode.UserPass{User: user, Password: creds.Password(user)}, nil
}

// roleURL is the NATS URL of cfg's node with the credentials of role:
// nats://user:password@host:port (tls:// with NATSTLS*).
func roleURL(cfg config.Config, role string) (string, error) {
	a := cfg.NATSListenAddress
	if !cfg.External() && (a == "" || a == "-") {
		return "", errors.New("NATSListenAddress is off: the node's NATS has no TCP client listener")
	}
	up, err := roleAuth(cfg, role)
	if err != nil {
		return "", err
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("NATSListenAddress %q: %w", a, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "nats"
	if cfg.NATSTLSCertFile != "" {
		scheme = "tls"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(up.User, up.Password), Host: net.JoinHostPort(host, port)}
	return u.String(), nil
}

// localAuth is the nats.go option of role on the local node whose config
// is configs (or found as serve finds it) with sets applied: the commands
// that read the log (replay, topology, why, hooks consume) connect with it
// when given no credentials. ok is false when there is no such node
// config or secret: the command then connects without credentials and the
// server says why it refuses.
func localAuth(configs, sets []string, role string) (opt nats.Option, ok bool) {
	overrides, err := parseSets(sets)
	if err != nil {
		return nil, false
	}
	cfg, _, err := config.Load(config.LoadOptions{Files: configs, Env: os.Environ(), Flags: overrides})
	if err != nil || cfg.External() {
		return nil, false
	}
	up, err := roleAuth(cfg, role)
	if err != nil {
		return nil, false
	}
	return nats.UserInfo(up.User, up.Password), true
}
