package control

import (
	"context"

	"github.com/regent-ha/regent/events"
)

// Tags and cluster aliases are operator events appended by the leader
// (record fences them with the lease epoch and waits until this node
// folded them): api.TagWriter and api.AliasWriter.

// Tag records an instance tag.
func (o *Operator) Tag(ctx context.Context, p events.InstanceTagged) error {
	return o.record(ctx, events.KindInstanceTagged, p, p.Key)
}

// Untag removes a tag; a zero key untags every instance.
func (o *Operator) Untag(ctx context.Context, p events.InstanceUntagged) error {
	return o.record(ctx, events.KindInstanceUntagged, p, p.Key)
}

// SetClusterAlias records a cluster's alias.
func (o *Operator) SetClusterAlias(ctx context.Context, p events.ClusterAliasSet) error {
	return o.record(ctx, events.KindClusterAliasSet, p, events.InstanceKey{})
}
