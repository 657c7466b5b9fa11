package main

import (
	"context"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
)

// tagWriter implements api.TagWriter and api.AliasWriter: each change is an operator event
// appended by the leader (record fences it with the lease epoch and waits
// until this node folded it).
type tagWriter struct {
	record func(ctx context.Context, kind events.Kind, payload any, instance events.InstanceKey) error
}

var (
	_ api.TagWriter   = tagWriter{}
	_ api.AliasWriter = tagWriter{}
)

// Tag implements api.TagWriter.
func (t tagWriter) Tag(ctx context.Context, p events.InstanceTagged) error {
	return t.record(ctx, events.KindInstanceTagged, p, p.Key)
}

// Untag implements api.TagWriter; a zero key untags every instance.
func (t tagWriter) Untag(ctx context.Context, p events.InstanceUntagged) error {
	return t.record(ctx, events.KindInstanceUntagged, p, p.Key)
}

// SetClusterAlias implements api.AliasWriter.
func (t tagWriter) SetClusterAlias(ctx context.Context, p events.ClusterAliasSet) error {
	return t.record(ctx, events.KindClusterAliasSet, p, events.InstanceKey{})
}
