package events

import "time"

// InstanceDiscovered is the payload of KindInstanceDiscovered: an instance
// entered Regent's inventory (by `discover`, a seed, or a crawl).
type InstanceDiscovered struct {
	Key InstanceKey `json:"key"`
	// Via says how: "api", "seed", "crawl-up", "crawl-down".
	Via string `json:"via"`
	// From is the instance whose probe revealed this one (for crawls).
	From InstanceKey `json:"from,omitempty"`
}

// InstanceForgotten is the payload of KindInstanceForgotten.
type InstanceForgotten struct {
	Key    InstanceKey `json:"key"`
	Reason string      `json:"reason,omitempty"` // "api", "unseen"
}

// ClusterForgotten is the payload of KindClusterForgotten.
type ClusterForgotten struct {
	ClusterName string `json:"cluster_name"`
}

// ClusterAliasSet is the payload of KindClusterAliasSet (a manual override).
type ClusterAliasSet struct {
	ClusterName string `json:"cluster_name"`
	Alias       string `json:"alias"`
}

// CandidateRegistered is the payload of KindCandidateRegistered.
type CandidateRegistered struct {
	Key           InstanceKey `json:"key"`
	PromotionRule string      `json:"promotion_rule"`
	Until         time.Time   `json:"until"`
}

// DowntimeBegun is the payload of KindDowntimeBegun.
type DowntimeBegun struct {
	Key    InstanceKey `json:"key"`
	Owner  string      `json:"owner"`
	Reason string      `json:"reason"`
	Until  time.Time   `json:"until"`
}

// DowntimeEnded is the payload of KindDowntimeEnded.
type DowntimeEnded struct {
	Key InstanceKey `json:"key"`
}

// MaintenanceBegun is the payload of KindMaintenanceBegun. Until is when
// the maintenance lapses by itself (orchestrator's MaintenanceExpireMinutes
// bound); zero means it lasts until ended.
type MaintenanceBegun struct {
	Key    InstanceKey `json:"key"`
	Owner  string      `json:"owner"`
	Reason string      `json:"reason"`
	Until  time.Time   `json:"until"`
}

// MaintenanceEnded is the payload of KindMaintenanceEnded.
type MaintenanceEnded struct {
	Key InstanceKey `json:"key"`
}

// Note is the payload of KindNote.
type Note struct {
	Text string `json:"text"`
}

// ConfigReloaded is the payload of KindConfigReloaded: which node reloaded
// its configuration, why, and what came of it. Keys are names only, never
// values (some are secrets).
type ConfigReloaded struct {
	Node    string   `json:"node"`
	Trigger string   `json:"trigger"`           // "SIGHUP" or "api"
	Who     string   `json:"who,omitempty"`     // the API user
	Applied bool     `json:"applied"`           // false: nothing changed in the running node
	Changed []string `json:"changed,omitempty"` // keys whose value differs from the running one
	Refused []string `json:"refused,omitempty"` // changed keys that need a restart
	Error   string   `json:"error,omitempty"`   // the files did not load or validate
}
