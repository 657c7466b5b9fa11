// Package config loads, checks and describes Regent's configuration.
//
// The file format is orchestrator's: one flat JSON object whose keys are
// orchestrator's PascalCase names (InstancePollSeconds, RaftNodes,
// PostFailoverProcesses, …), plus Regent's own keys in the same style
// (NATS*, Log*, VIP*, HookTimeoutSeconds, …). An orchestrator.conf.json
// loads unchanged; unlike orchestrator, `//` and `/* */` comments and
// trailing commas are accepted (HuJSON), unknown keys are reported with a
// suggestion, and wrong types are errors naming the key and its line.
//
// Load is the only entry point that reads anything. It layers, in order:
//
//  1. defaults (Default),
//  2. files: LoadOptions.Files, or every existing file of the search
//     list (DefaultSearchPaths), later ones overriding earlier ones,
//  3. environment variables REGENT_<Key> from LoadOptions.Env,
//  4. LoadOptions.Flags,
//
// with koanf merging the layers (maps such as ClusterNameToAlias merge key
// by key; every other value is replaced). It then applies orchestrator's
// legacy synonyms (DetachLostSlavesAfterMasterFailover true forces
// DetachLostReplicasAfterMasterFailover, SlaveLagQuery,
// RecoveryPeriodBlockMinutes, …), the [client] user/password of
// MySQLTopologyCredentialsConfigFile, and ${ENV} references in passwords,
// and validates cross-field rules. All errors come back at once and the
// Config is then zero. There is no package-level configuration: callers
// pass the returned value (or one of its group structs) down.
//
// # RaftNodes, RaftBind and the NATS cluster
//
// Regent keeps orchestrator's raft keys but runs an embedded NATS
// JetStream cluster instead of raft:
//
//   - each RaftNodes entry "host" or "host:port" is a peer; its route URL
//     is nats-route://host:port, the port being the NATS cluster (route)
//     port, DefaultRaftPort (10008) when omitted (RaftPeers, Peer.RouteURL);
//   - RaftBind is this node's route listener (host:port, same default);
//     RaftAdvertise, when set, is the address peers know it by and must be
//     the one listed in RaftNodes;
//   - the node's NATS server name is NodeName, or its RaftAdvertise/RaftBind
//     host:port (NodeID); all nodes share the cluster name NATSClusterName;
//   - RaftDataDir holds the JetStream store;
//   - RaftEnabled false, or RaftNodes listing only this node, is a cluster
//     of one (Clustered reports false); NATSServers non-empty replaces the
//     embedded server by an external NATS JetStream.
package config
