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
