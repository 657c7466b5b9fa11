package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TagWriter records tag changes: each is an event appended on the leader
// (the API forwards writes there), returning once this node's views show
// it.
type TagWriter interface {
	Tag(ctx context.Context, p events.InstanceTagged) error
	Untag(ctx context.Context, p events.InstanceUntagged) error
}

// RegisterTags adds orchestrator's tag routes: tags, tag-value, tagged and
// topology-tags read the view; tag, untag and untag-all are writes.
func (s *Server) RegisterTags(v Views, w TagWriter) {
	t := &tagsAPI{reader: &reader{s: s, views: v}, w: w}
	s.Handle("GET /api/tags/{host}/{port}", t.tags)
	s.Handle("GET /api/tag-value/{host}/{port}", t.tagValue)
	s.Handle("GET /api/tag-value/{host}/{port}/{tagName}", t.tagValue)
	s.Handle("GET /api/tagged", t.tagged)
	s.Handle("GET /api/tagged/{$}", t.tagged) // orchestrator-client's call without -i
	s.Handle("GET /api/tagged/{host}/{port}", t.tagged)
	s.Handle("GET /api/topology-tags/{clusterHint}", t.topologyTags)
	s.Handle("GET /api/topology-tags/{host}/{port}", t.topologyTags)
	// Writes run on the leader: a follower forwards them once.
	for p, h := range map[string]http.HandlerFunc{
		"tag/{host}/{port}": t.tag, "tag/{host}/{port}/{tagName}/{tagValue}": t.tag,
		"untag/{host}/{port}": t.untag, "untag/{host}/{port}/{tagName}": t.untag,
		"untag-all": t.untag, "untag-all/{tagName}/{tagValue}": t.untag,
	} {
		op, _, _ := strings.Cut(p, "/")
		s.HandleWrite("/api/"+p, s.writeOnLeader(op, h))
	}
}

type tagsAPI struct {
	*reader
	w TagWriter
}

// requestTag is orchestrator's getTag: ?tag= (name, name=value, ~name…)
// else the {tagName}/{tagValue} path parameters. A bad one answers 400
// naming the parameter.
func requestTag(w http.ResponseWriter, req *http.Request) (projections.Tag, bool) {
	// orchestrator-client's urlencode sends the echo's newline (%0A);
	// orchestrator trims it (ParseTag), and so does Regent.
	if q := strings.TrimSpace(req.URL.Query().Get("tag")); q != "" {
		if err := events.ValidText(q, events.MaxTextLen); err != nil {
			respondBadParameter(w, "tag", err)
			return projections.Tag{}, false
		}
		g, err := projections.ParseTag(q)
		if err != nil {
			respondBadParameter(w, "tag", err)
			return projections.Tag{}, false
		}
		return g, true
	}
	g := projections.Tag{Name: req.PathValue("tagName"), Value: req.PathValue("tagValue")}
	g.HasValue = g.Value != ""
	for _, p := range [][2]string{{"tagName", g.Name}, {"tagValue", g.Value}} {
		if err := events.ValidText(p[1], events.MaxTextLen); err != nil {
			respondBadParameter(w, p[0], err)
			return projections.Tag{}, false
		}
	}
	if g.Name == "" {
		respondBadParameter(w, "tag", errors.New("empty tag name"))
		return projections.Tag{}, false
	}
	return g, true
}

func (t *tagsAPI) tags(w http.ResponseWriter, req *http.Request) {
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, t.views.View().Tags(k))
}

// tagValue answers the bare JSON string, or orchestrator's ERROR.
func (t *tagsAPI) tagValue(w http.ResponseWriter, req *http.Request) {
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	g, ok := requestTag(w, req)
	if !ok {
		return
	}
	val, found := t.views.View().TagValue(k, g.Name)
	if !found {
		respondError(w, fmt.Sprintf("tag %s not found for %s", g.Name, k), nil)
		return
	}
	respondBare(w, val)
}

// tagged lists the keys matching ?tag= (with {host}/{port}: that instance,
// if it matches).
func (t *tagsAPI) tagged(w http.ResponseWriter, req *http.Request) {
	q := strings.TrimSpace(req.URL.Query().Get("tag"))
	if err := events.ValidText(q, events.MaxTextLen); err != nil {
		respondBadParameter(w, "tag", err)
		return
	}
	keys, err := t.views.View().Tagged(q)
	if err != nil {
		respondBadParameter(w, "tag", err)
		return
	}
	if req.PathValue("host") != "" {
		k, err := t.instanceKey(req)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		var only []events.InstanceKey
		for _, m := range keys {
			if m == k {
				only = append(only, m)
			}
		}
		keys = only
	}
	respondBare(w, nonNil(keys))
}

func (t *tagsAPI) topologyTags(w http.ResponseWriter, req *http.Request) {
	v := t.views.View()
	name, err := t.clusterName(v, req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	text, err := projections.RenderTopologyTags(v, name)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Topology for cluster "+name, text)
}

func (t *tagsAPI) tag(w http.ResponseWriter, req *http.Request) {
	k, ok := t.actionKey(w, req)
	if !ok {
		return
	}
	g, ok := requestTag(w, req)
	if !ok {
		return
	}
	if g.Negate {
		respondBadParameter(w, "tag", errors.New("a tag to set cannot be negated"))
		return
	}
	if err := t.w.Tag(req.Context(), events.InstanceTagged{Key: k, Name: g.Name, Value: g.Value, Who: t.s.requestUser(req)}); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("%s tagged with %s", k, g), k)
}

// untag serves untag (one instance) and untag-all (every instance, which
// needs a value, as orchestrator). It answers the keys it untagged.
func (t *tagsAPI) untag(w http.ResponseWriter, req *http.Request) {
	if !t.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	var p events.InstanceUntagged
	if req.PathValue("host") != "" {
		k, err := t.instanceKey(req)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		p.Key = k
	}
	g, ok := requestTag(w, req)
	if !ok {
		return
	}
	switch {
	case g.Negate:
		respondError(w, "Untag: does not support negation", nil)
		return
	case p.Key.IsZero() && !g.HasValue:
		respondError(w, "Untag: either indicate an instance or a tag value. Will not delete on-valued tag across instances", nil)
		return
	}
	p.Name, p.Value, p.HasValue, p.Who = g.Name, g.Value, g.HasValue, t.s.requestUser(req)
	hit := t.views.View().Untagging(p)
	if len(hit) > 0 {
		if err := t.w.Untag(req.Context(), p); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	respondOK(w, fmt.Sprintf("%s removed from %d instances", g.Name, len(hit)), nonNil(hit))
}
