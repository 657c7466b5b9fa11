package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/natsclient"
	"github.com/regent-ha/regent/events/natsnode"
)

// identities are the NATS identities of cfg's cluster, derived from its
// secret (NATSClusterSecret, else a single node's generated one).
func identities(cfg config.Config) (natsnode.Identities, error) {
	ids, err := cfg.NodeIDs()
	return natsnode.Identities{
		Secret: natsnode.SecretSource{Secret: cfg.NATSClusterSecret, Clustered: cfg.Clustered(), DataDir: cfg.RaftDataDir},
		Nodes:  ids, Self: cfg.NodeID(),
		Admin: natsnode.UserPass{User: cfg.NATSUser, Password: cfg.NATSPassword},
		Route: natsnode.UserPass{User: cfg.NATSClusterUser, Password: cfg.NATSClusterPassword},
	}, err
}

// roleAuth is the user and password of role on cfg's embedded node.
func roleAuth(cfg config.Config, role string) (natsnode.UserPass, error) {
	if cfg.External() {
		return natsnode.UserPass{}, errors.New("this node uses an external NATS (NATSServers): its credentials are the operator's, not derived by Regent")
	}
	ids, err := identities(cfg)
	if err != nil {
		return natsnode.UserPass{}, err
	}
	return ids.Role(role)
}

// roleURL is the NATS URL of cfg's node with the credentials of role:
// nats://user:password@host:port (tls:// with NATSTLS*).
func roleURL(cfg config.Config, role string) (string, error) {
	if !cfg.External() && !cfg.NATSClientListener() {
		return "", errors.New("NATSListenAddress is off: the node's NATS has no TCP client listener")
	}
	up, err := roleAuth(cfg, role)
	if err != nil {
		return "", err
	}
	return natsnode.RoleURL(cfg.NATSListenAddress, cfg.NATSTLSCertFile != "", up)
}

// nodeClient is how a process with cfg's node config connects to its
// NATS as role, the one derivation of every client identity: on an
// external NATS (NATSServers) the operator's NATSCredentialsFile,
// NATSToken or NATSUser/NATSPassword, first set first, and the NATSTLS*
// files; on the embedded NATS the role's identity derived from the cluster
// secret, and NATSTLSCAFile to trust the node's certificate (NATSTLSCertFile
// is the server's own). serve connects in-process as RoleNode; replay,
// topology, why and hooks consume as RoleReader or RoleHooks.
func nodeClient(cfg config.Config, role string) (natsclient.Options, error) {
	if cfg.External() {
		o := natsclient.Options{Servers: cfg.NATSServers,
			TLS: natsclient.TLSFiles{CertFile: cfg.NATSTLSCertFile, KeyFile: cfg.NATSTLSKeyFile, CAFile: cfg.NATSTLSCAFile}}
		switch {
		case cfg.NATSCredentialsFile != "":
			o.Auth.CredsFile = cfg.NATSCredentialsFile
		case cfg.NATSToken != "":
			o.Auth.Token = cfg.NATSToken
		default:
			o.Auth.User, o.Auth.Password = cfg.NATSUser, cfg.NATSPassword
		}
		return o, nil
	}
	up, err := roleAuth(cfg, role)
	if err != nil {
		return natsclient.Options{}, err
	}
	return natsclient.Options{Auth: natsclient.Auth{User: up.User, Password: up.Password},
		TLS: natsclient.TLSFiles{CAFile: cfg.NATSTLSCAFile}}, nil
}

// natsFlags are the connection flags of the commands that read the log
// (replay, topology --at, why, hooks consume).
type natsFlags struct {
	server        string
	auth          natsclient.Auth
	tls           natsclient.TLSFiles
	configs, sets multiFlag
}

func (f *natsFlags) register(fs *flag.FlagSet, role string) {
	fs.StringVar(&f.server, "server", "nats://127.0.0.1:4222", "NATS URL(s) of any Regent node, comma-separated")
	fs.StringVar(&f.auth.User, "user", "", "NATS user (default: the "+role+" identity of the node whose --config is given, or found as serve finds it)")
	fs.StringVar(&f.auth.Password, "password", "", "NATS password")
	fs.StringVar(&f.auth.Token, "token", "", "NATS token")
	fs.StringVar(&f.auth.CredsFile, "creds", "", "NATS credentials file")
	fs.StringVar(&f.tls.CertFile, "tls-cert", "", "client certificate presented to NATS (PEM)")
	fs.StringVar(&f.tls.KeyFile, "tls-key", "", "key of --tls-cert (PEM)")
	fs.StringVar(&f.tls.CAFile, "tls-ca", "", "CA that signed the NATS server's certificate (default: the local node's NATSTLSCAFile)")
	fs.Var(&f.configs, "config", "the local node's config file (repeatable; default: found as serve finds it)")
	fs.Var(&f.sets, "set", "set a config key of the local node's config: Key=Value (repeatable)")
}

// connect connects to --server as name; what the flags leave open is
// role's connection on the local node (natsclient.Options.Defaults), whose
// config is found as serve finds it (or --config and --set). Without one
// it connects without credentials and the server says why it refuses.
func (f *natsFlags) connect(name, role string, reconnect bool) (*nats.Conn, error) {
	o := natsclient.Options{Name: name, Servers: strings.Split(f.server, ","), Auth: f.auth, TLS: f.tls, Reconnect: reconnect}
	if local, ok := f.local(role); ok {
		o = o.Defaults(local)
	}
	nc, err := natsclient.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(config.MaskURLs(o.Servers), ","), config.MaskURLError(err, o.Servers))
	}
	return nc, nil
}

// local is role's connection on the local node, when its config loads and
// its credentials can be derived.
func (f *natsFlags) local(role string) (natsclient.Options, bool) {
	overrides, err := parseSets(f.sets)
	if err != nil {
		return natsclient.Options{}, false
	}
	cfg, _, err := config.Load(config.LoadOptions{Files: f.configs, Env: os.Environ(), Flags: overrides})
	if err != nil || cfg.External() {
		return natsclient.Options{}, false
	}
	o, err := nodeClient(cfg, role)
	return o, err == nil
}
