package projections

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// Topology is the folded state of both streams. It is not safe for
// concurrent use: one goroutine applies events and takes Views; Views are
// safe to share.
type Topology struct {
	s Settings
	c *compiled

	lastObsSeq uint64
	lastEvtSeq uint64

	instances  map[events.InstanceKey]*instState
	tombstones map[events.InstanceKey]struct{}
	aliases    map[string]string
	downtimes  map[events.InstanceKey]downtime
	candidates map[events.InstanceKey]candidate
	// maintenances are begin-maintenance annotations (maintenance.go).
	maintenances map[events.InstanceKey]downtime
	successors   map[string]events.InstanceKey // recovery id → successor, while it runs
	tags         tagSet                        // copy-on-write (tags.go)

	// obsHorizon is the event time of the first observation folded: the
	// fold knows nothing of probes before it (a node folds only recent
	// observations at start).
	obsHorizon time.Time

	// scratch is the decode target of progress events, reused so that the
	// hot path allocates only what the payload's strings need.
	scratch events.InstanceProgress
}

// instState is what the fold keeps per instance. obs is never mutated after
// it is stored (views share it); moving and origins are updated in place.
type instState struct {
	discovered bool
	since      time.Time // event time of the event that made the instance known
	obs        *events.InstanceObserved
	obsAt      time.Time // event time of obs
	mv         moving
	origins    []OriginReport // sorted by Origin
}

// moving holds the parts a progress event updates.
type moving struct {
	self, read, exec events.BinlogCoordinates
	gtidExecuted     string
	gtidCurrent      string
	gtidSlave        string
	gtidBinlog       string
	gtidBinlogState  string
	sbm, lag         int64
	sbmValid         bool
	lagValid         bool
	heartbeats       int64
	lastHeartbeat    time.Time
	uptime           int64
	gtidIOPos        string // MariaDB Gtid_IO_Pos
	retrieved        string // MySQL Retrieved_Gtid_Set
	io               ioTrack
}

type downtime struct {
	owner, reason string
	began, until  time.Time
}

type candidate struct {
	rule  string
	until time.Time
	at    time.Time // when it was registered
}

// OriginReport is one Regent node's latest probe result for an instance:
// the multi-vantage evidence the failure analysis counts.
type OriginReport struct {
	Origin string
	// Seq is the stream sequence of the report; At its event time.
	Seq uint64
	At  time.Time
	// OK: the probe succeeded (full or progress observation). LastOK is the
	// time of this origin's latest successful probe (zero if none).
	OK     bool
	LastOK time.Time
	// Error and the flags are copied from InstanceUnreachable.
	Error          string
	Timeout        bool
	ConnectionLost bool
	Partial        bool
	// Digest is the state digest of the origin's latest observation.
	Digest        string
	ProbeDuration time.Duration
	// FailingSince is the sequence (FailingSinceAt the event time) of the
	// first failed report of the origin's current run of failed reports;
	// zero while the origin reaches the instance. It stays the same while
	// the failure lasts, so it names the incident.
	FailingSince   uint64
	FailingSinceAt time.Time
	// Gap is the time between this report and the origin's previous report
	// of the instance (event times; full, progress and unreachable reports
	// alike): the interval the origin actually achieves. Zero after the
	// first report; a report not later than the previous one keeps the
	// previous gap. Settings.ReportWindow turns it into the report's
	// freshness window.
	Gap time.Duration
}

// NewTopology returns an empty topology for the given settings.
func NewTopology(s Settings) (*Topology, error) {
	c, err := compileSettings(s)
	if err != nil {
		return nil, err
	}
	if s.DefaultInstancePort == 0 {
		s.DefaultInstancePort = 3306
	}
	s.ClusterNameToAlias = maps.Clone(s.ClusterNameToAlias)
	s.ProblemIgnoreHostnameFilters = slices.Clone(s.ProblemIgnoreHostnameFilters)
	s.RecoverMasterClusterFilters = slices.Clone(s.RecoverMasterClusterFilters)
	s.RecoverIntermediateMasterClusterFilters = slices.Clone(s.RecoverIntermediateMasterClusterFilters)
	return &Topology{
		s:          s,
		c:          c,
		instances:  make(map[events.InstanceKey]*instState),
		tombstones: make(map[events.InstanceKey]struct{}),
		aliases:    make(map[string]string),
		downtimes:  make(map[events.InstanceKey]downtime),
		candidates: make(map[events.InstanceKey]candidate),
		successors: make(map[string]events.InstanceKey),

		maintenances: make(map[events.InstanceKey]downtime),
	}, nil
}

// Settings returns the settings the topology was built with.
func (t *Topology) Settings() Settings { return t.s }

// Len is the number of known instances.
func (t *Topology) Len() int { return len(t.instances) }

// LastSeq returns the last applied sequence of the observation stream and
// of the event stream.
func (t *Topology) LastSeq() (observations, events uint64) { return t.lastObsSeq, t.lastEvtSeq }

// Apply folds one event. seq is the event's sequence in its stream (0:
// unsequenced). Kinds the projection does not use are ignored (their
// sequence still counts as consumed); a payload that cannot be decoded
// returns an error and leaves the state, sequences included, unchanged.
func (t *Topology) Apply(seq uint64, e events.Envelope) error {
	last := &t.lastEvtSeq
	if e.Kind.IsObservation() {
		last = &t.lastObsSeq
	}
	if seq != 0 && seq <= *last {
		return nil
	}
	var err error
	switch e.Kind {
	case events.KindInstanceObserved:
		err = t.applyObserved(seq, e)
	case events.KindInstanceProgress:
		err = t.applyProgress(seq, e)
	case events.KindInstanceUnreachable:
		err = t.applyUnreachable(seq, e)
	case events.KindInstanceDiscovered, events.KindInstanceForgotten, events.KindClusterForgotten,
		events.KindClusterAliasSet, events.KindCandidateRegistered, events.KindDowntimeBegun,
		events.KindDowntimeEnded:
		err = t.applyInventory(e)
	case events.KindMaintenanceBegun, events.KindMaintenanceEnded:
		err = t.applyMaintenance(e)
	case events.KindInstanceTagged, events.KindInstanceUntagged:
		err = t.applyTags(e)
	case events.KindRecoveryStarted, events.KindRecoveryLeaseTaken, events.KindRecoveryStep,
		events.KindRecoveryCompleted, events.KindRecoveryFailed:
		err = t.applyRecovery(e)
	default:
		// Not a kind the topology folds; its sequence is still consumed.
	}
	if err != nil {
		return fmt.Errorf("apply %s seq %d: %w", e.Kind, seq, err)
	}
	if e.Kind.IsObservation() && t.obsHorizon.IsZero() {
		t.obsHorizon = e.Time
	}
	if seq != 0 {
		*last = seq
	}
	return nil
}

// checkKey refuses a record naming an instance by an invalid key
// (events.InstanceKey.Validate): Apply returns the error and stores
// nothing, so a forged or old record naming a 4,100-byte host never enters
// the inventory, and the probes never dial it.
func checkKey(k events.InstanceKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("instance key: %w", err)
	}
	return nil
}

// checkNeighbours refuses an observation whose source or replicas are not
// valid keys (the probes never report such names): it would be crawled. A
// detached source ("//host", detach-replica's mark) is valid when host is.
func checkNeighbours(p *events.InstanceObserved) error {
	if r := p.Replication; r != nil && r.SourceKey.Hostname != "" {
		src := r.SourceKey
		src.Hostname = strings.TrimPrefix(src.Hostname, "//")
		if err := src.Validate(); err != nil {
			return fmt.Errorf("source of %s: %w", p.Key, err)
		}
	}
	for _, k := range p.Replicas {
		if err := k.Validate(); err != nil {
			return fmt.Errorf("replica of %s: %w", p.Key, err)
		}
	}
	return nil
}

// member returns the instance's state, adding it when it is unknown and not
// forgotten; nil when the key is tombstoned.
func (t *Topology) member(k events.InstanceKey, at time.Time) *instState {
	if st, ok := t.instances[k]; ok {
		return st
	}
	if _, dead := t.tombstones[k]; dead {
		return nil
	}
	st := &instState{since: at}
	t.instances[k] = st
	return st
}

// report returns origin's report slot, inserting it in origin order.
func (st *instState) report(origin string) *OriginReport {
	for i := range st.origins {
		if st.origins[i].Origin == origin {
			return &st.origins[i]
		}
	}
	i := len(st.origins)
	for i > 0 && st.origins[i-1].Origin > origin {
		i--
	}
	st.origins = slices.Insert(st.origins, i, OriginReport{Origin: origin})
	return &st.origins[i]
}

func (r *OriginReport) ok(seq uint64, at time.Time, digest string, d time.Duration) {
	*r = OriginReport{Origin: r.Origin, Seq: seq, At: at, OK: true, LastOK: at, Digest: digest, ProbeDuration: d, Gap: r.gapTo(at)}
}

// gapTo is the Gap of the origin's next report, made at `at`.
func (r *OriginReport) gapTo(at time.Time) time.Duration {
	switch {
	case r.At.IsZero():
		return 0
	case at.After(r.At):
		return at.Sub(r.At)
	}
	return r.Gap
}

func (t *Topology) applyObserved(seq uint64, e events.Envelope) error {
	p := new(events.InstanceObserved)
	if err := e.Decode(p); err != nil {
		return err
	}
	if err := checkKey(p.Key); err != nil {
		return err
	}
	if err := checkNeighbours(p); err != nil {
		return err
	}
	st := t.member(p.Key, e.Time)
	if st == nil {
		return nil
	}
	st.obs, st.obsAt = p, e.Time
	io := st.mv.io
	st.mv = movingFromObserved(p)
	st.mv.io = io
	st.mv.track(p.Replication, e.Time)
	st.report(e.Origin).ok(seq, e.Time, p.Digest, p.ProbeDuration)
	return nil
}

func movingFromObserved(p *events.InstanceObserved) moving {
	mv := moving{
		self:            p.SelfCoordinates,
		gtidExecuted:    p.GTID.Executed,
		gtidCurrent:     p.GTID.CurrentPos,
		gtidSlave:       p.GTID.SlavePos,
		gtidBinlog:      p.GTID.BinlogPos,
		gtidBinlogState: p.GTID.BinlogState,
		uptime:          p.Uptime,
	}
	if p.LagSeconds != nil {
		mv.lag, mv.lagValid = *p.LagSeconds, true
	}
	if r := p.Replication; r != nil {
		mv.read, mv.exec = r.ReadCoordinates, r.ExecCoordinates
		if r.SecondsBehind != nil {
			mv.sbm, mv.sbmValid = *r.SecondsBehind, true
		}
		mv.heartbeats = r.HeartbeatsReceived
		if r.LastHeartbeat != nil {
			mv.lastHeartbeat = *r.LastHeartbeat
		}
		mv.gtidIOPos, mv.retrieved = r.GTIDIOPos, r.RetrievedGTIDSet
	}
	return mv
}

func (t *Topology) applyProgress(seq uint64, e events.Envelope) error {
	p := &t.scratch
	*p = events.InstanceProgress{}
	if err := e.Decode(p); err != nil {
		return err
	}
	if err := checkKey(p.Key); err != nil {
		return err
	}
	st := t.member(p.Key, e.Time)
	if st == nil {
		return nil
	}
	st.report(e.Origin).ok(seq, e.Time, p.Digest, p.ProbeDuration)
	if st.obs == nil || st.obs.Digest != p.Digest {
		return nil
	}
	mv := &st.mv
	mv.self, mv.read, mv.exec = p.SelfCoordinates, p.ReadCoordinates, p.ExecCoordinates
	mv.gtidExecuted, mv.gtidCurrent = p.GTIDExecuted, p.GTIDCurrentPos
	mv.gtidSlave, mv.gtidBinlog, mv.gtidBinlogState = p.GTIDSlavePos, p.GTIDBinlogPos, p.GTIDBinlogState
	mv.sbm, mv.sbmValid = derefInt(p.SecondsBehind)
	mv.lag, mv.lagValid = derefInt(p.LagSeconds)
	mv.heartbeats = p.HeartbeatsReceived
	if p.LastHeartbeat != nil {
		mv.lastHeartbeat = *p.LastHeartbeat
	}
	mv.uptime = p.Uptime
	mv.gtidIOPos, mv.retrieved = p.GTIDIOPos, p.RetrievedGTIDSet
	mv.track(st.obs.Replication, e.Time)
	return nil
}

func derefInt(p *int64) (int64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

func (t *Topology) applyUnreachable(seq uint64, e events.Envelope) error {
	var p events.InstanceUnreachable
	if err := e.Decode(&p); err != nil {
		return err
	}
	if err := checkKey(p.Key); err != nil {
		return err
	}
	st := t.member(p.Key, e.Time)
	if st == nil {
		return nil
	}
	r := st.report(e.Origin)
	since, sinceAt := r.FailingSince, r.FailingSinceAt
	if r.OK || r.At.IsZero() {
		since, sinceAt = seq, e.Time
	}
	*r = OriginReport{
		Origin: r.Origin, Seq: seq, At: e.Time, LastOK: r.LastOK, Digest: r.Digest,
		Error: p.Error, Timeout: p.Timeout, ConnectionLost: p.ConnectionLost, Partial: p.Partial,
		ProbeDuration: p.ProbeDuration, FailingSince: since, FailingSinceAt: sinceAt, Gap: r.gapTo(e.Time),
	}
	return nil
}

// Clone returns an independent copy: applying events to either never
// changes the other.
func (t *Topology) Clone() *Topology {
	n := *t
	n.scratch = events.InstanceProgress{}
	n.instances = make(map[events.InstanceKey]*instState, len(t.instances))
	for k, st := range t.instances {
		c := *st
		c.origins = slices.Clone(st.origins)
		n.instances[k] = &c
	}
	n.tombstones = maps.Clone(t.tombstones)
	n.aliases = maps.Clone(t.aliases)
	n.downtimes = maps.Clone(t.downtimes)
	n.maintenances = maps.Clone(t.maintenances)
	n.candidates = maps.Clone(t.candidates)
	n.successors = maps.Clone(t.successors)
	return &n
}
