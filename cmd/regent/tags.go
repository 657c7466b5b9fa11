package main

import (
	"context"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
)

// tagWriter implements api.TagWriter: each change is an operator event
// appended by the leader (record fences it with the lease epoch and waits
// until this node folded it).
type tagWriter struct {
	record func(ctx context.Context, kind events.Kind, payload any, instance events.InstanceKey) error
}

var _ api.TagWriter = tagWriter{}

// Tag implements api.TagWriter.
func (t tagWriter) Tag(ctx context.Context, p events.InstanceTagged) error {
	return t.record(ctx, events.KindInstanceTagged, p, p.Key)
}

// Untag implements api.TagWriter; a zero key untags every instance.
func (t tagWriter) Untag(ctx context.Context, p events.InstanceUntagged) error {
	return t.record(ctx, events.KindInstanceUntagged, p, p.Key)
}
