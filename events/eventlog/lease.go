package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Leadership is a lease in a replicated KV bucket. The holder renews it with
// compare-and-set on the key's revision; the revision at acquisition is the
// fencing epoch that every action of that holder carries. A holder that
// cannot renew (partitioned, dead) loses the lease when the bucket's TTL
// expires the key, and another node creates it with a higher revision.
const (
	LeaseBucket = events.LeaseBucket
	leaseKey    = "leader"
	// LeaseTTL is how long a lease outlives its last renewal.
	LeaseTTL = 3 * time.Second
)

func (l *Log) ensureLease(ctx context.Context) error {
	replicas := 1
	if len(l.specs) > 0 {
		replicas = l.specs[0].Replicas
	}
	return retryCold(ctx, l.log, "create bucket "+LeaseBucket, func(ctx context.Context) error {
		_, err := l.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      LeaseBucket,
			Description: "Regent leader lease; the revision is the fencing epoch",
			History:     1,
			TTL:         LeaseTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		return err
	})
}

// LeaseInfo describes a lease holder.
type LeaseInfo struct {
	Holder string    `json:"holder"` // node name
	Addr   string    `json:"addr"`   // the holder's HTTP address, for forwarding
	Epoch  uint64    `json:"epoch"`  // revision at acquisition: the fencing epoch
	Since  time.Time `json:"since"`  // holder's clock at acquisition
}

// Lease campaigns for and keeps the leader lease. Run owns the loop; the
// accessors are safe from any goroutine.
type Lease struct {
	l    *Log
	self LeaseInfo
	ttl  time.Duration
	log  zerolog.Logger

	mu      sync.Mutex // guards current, held, rev, known, changed
	current LeaseInfo  // the holder as last seen (may be self)
	known   bool       // whether current is meaningful
	held    bool       // whether this node holds it
	// changed is closed, and replaced, when held or the held epoch
	// changes (Changed).
	changed chan struct{}
	rev     uint64 // last revision written by this node while held
	// everHeld: this process held the lease at some point. A record naming
	// this node that this process never wrote was left by its previous
	// incarnation (crashed, SIGKILLed): it is taken over at once instead of
	// after the TTL.
	everHeld bool

	// check decides whether a record names a holder to follow (nil: any
	// record that decodes with a holder). Only Run's goroutine reads it.
	check func(LeaseInfo) error
	// maxEpoch is the highest epoch or revision this node has seen: a
	// re-created bucket starts above it, so that epochs never go back.
	maxEpoch atomic.Uint64
	// rejected counts the records not followed (malformed, or a holder
	// check refused); rejectedRev is the revision last logged, so that a
	// record is logged once however often it is read.
	rejected    atomic.Uint64
	rejectedRev uint64
	// floor, when set, is the highest epoch the event log has recorded: a
	// bucket this node creates (found missing at start or deleted later)
	// starts above it too, so that a node that saw no revision of the old
	// bucket (it started after the deletion) does not begin again at epoch
	// 1 below the recoveries already in the log.
	floor func(context.Context) (uint64, error)
}

// SetFloor sets the source of the lowest epoch a re-created bucket may
// start at (the event log's highest recorded epoch). Call it before Run.
func (le *Lease) SetFloor(floor func(context.Context) (uint64, error)) { le.floor = floor }

// SetCheck sets the test a lease record must pass to be followed: a record
// it refuses (a holder that is not a configured peer) is treated as no
// leader, logged once and counted (Rejected). Call it before Run.
func (le *Lease) SetCheck(check func(LeaseInfo) error) { le.check = check }

// Rejected is the number of lease records not followed.
func (le *Lease) Rejected() uint64 { return le.rejected.Load() }

// NewLease prepares a campaign for node (its HTTP address addr).
func (l *Log) NewLease(node, addr string) *Lease {
	return &Lease{l: l, self: LeaseInfo{Holder: node, Addr: addr}, ttl: LeaseTTL, changed: make(chan struct{}),
		log: l.log.With().Str(events.LogComponent, "lease").Str(events.LogNode, node).Logger()}
}

// Current returns the holder as last seen, whether it is known, and whether
// this node holds the lease.
func (le *Lease) Current() (info LeaseInfo, known, held bool) {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.current, le.known, le.held
}

// Changed returns a channel closed when this node gains or loses the lease,
// or holds it at a new epoch: what Current's held and, while held, its
// epoch answer then differ (the recovery engine sleeps on it while it does
// not lead).
func (le *Lease) Changed() <-chan struct{} {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.changed
}

// signalChange closes changed when held, or the held epoch, moves from
// wasHeld and wasEpoch. le.mu is held.
func (le *Lease) signalChange(wasHeld bool, wasEpoch uint64) {
	if le.held == wasHeld && (!le.held || le.current.Epoch == wasEpoch) {
		return
	}
	close(le.changed)
	le.changed = make(chan struct{})
}

// Run campaigns and renews every TTL/3 until ctx ends; on exit it releases a
// held lease so another node can take over at once.
func (le *Lease) Run(ctx context.Context) error {
	kv, err := le.open(ctx)
	if err != nil {
		return nil // ctx ended while the bucket could not be opened
	}
	tick := time.NewTicker(le.ttl / 3)
	defer tick.Stop()
	for {
		kv = le.step(ctx, kv)
		select {
		case <-ctx.Done():
			le.release(kv)
			return nil
		case <-tick.C:
		}
	}
}

// open opens the lease bucket, retrying (and re-creating a missing bucket)
// until it succeeds or ctx ends: a JetStream still forming never stops the
// node. Each failed attempt (bounded by leaseOpenAttempt) is logged once.
func (le *Lease) open(ctx context.Context) (jetstream.KeyValue, error) {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, leaseOpenAttempt)
		kv, err := le.l.js.KeyValue(actx, LeaseBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = le.recreate(actx)
		}
		cancel()
		if err == nil {
			return kv, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		le.log.Warn().Err(err).Int("attempt", attempt).Msg("open lease bucket: retrying")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// leaseOpenAttempt bounds one attempt to open the lease bucket.
const leaseOpenAttempt = 10 * time.Second

func (le *Lease) step(ctx context.Context, kv jetstream.KeyValue) jetstream.KeyValue {
	cctx, cancel := context.WithTimeout(ctx, le.ttl/3)
	defer cancel()
	le.mu.Lock()
	held, rev, cur := le.held, le.rev, le.current
	le.mu.Unlock()
	if held {
		b, _ := json.Marshal(cur)
		nrev, err := kv.Update(cctx, leaseKey, b, rev)
		if err != nil {
			le.log.Warn().Err(err).Uint64(events.LogEpoch, cur.Epoch).Msg("lost leader lease")
			le.set(LeaseInfo{}, false, false, 0)
			// At once, not a tick later: see who holds it now, or campaign
			// (the record was deleted or overwritten).
			return le.step(ctx, le.reopen(cctx, kv))
		}
		le.seen(nrev)
		le.set(cur, true, true, nrev)
		return kv
	}
	e, err := kv.Get(cctx, leaseKey)
	switch {
	case err == nil:
		le.seen(e.Revision())
		info, err := le.decode(e.Value())
		if err != nil {
			le.reject(cctx, kv, e.Revision(), err)
			return kv
		}
		if info.Holder == le.self.Holder && !le.heldBefore() {
			le.takeOver(cctx, kv, e.Revision(), info.Epoch)
			return kv
		}
		le.set(info, true, false, 0)
	case errors.Is(err, jetstream.ErrKeyNotFound):
		le.campaign(cctx, kv)
	default:
		le.set(LeaseInfo{}, false, false, 0)
		return le.reopen(cctx, kv)
	}
	return kv
}

// errMalformedLease marks a record that is not a lease at all.
var errMalformedLease = errors.New("malformed lease record")

// decode reads a lease record and checks it.
func (le *Lease) decode(b []byte) (LeaseInfo, error) {
	var info LeaseInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%w: %v", errMalformedLease, err)
	}
	if info.Holder == "" {
		return info, fmt.Errorf("%w: no holder", errMalformedLease)
	}
	if le.check != nil {
		if err := le.check(info); err != nil {
			return info, err
		}
	}
	return info, nil
}

// reject treats the record at rev as no leader: it is never followed,
// logged once and counted. A malformed one, which no node writes, is
// replaced at once by compare-and-set (a new, higher epoch); one naming a
// holder the check refuses expires with the TTL unless its holder renews
// it (a node with another configuration is not fought over).
func (le *Lease) reject(ctx context.Context, kv jetstream.KeyValue, rev uint64, why error) {
	le.set(LeaseInfo{}, false, false, 0)
	if rev != le.rejectedRev {
		le.rejectedRev = rev
		le.rejected.Add(1)
		le.log.Warn().Err(why).Uint64("revision", rev).Msg("lease record not followed: no leader until it expires or is replaced")
	}
	if errors.Is(why, errMalformedLease) {
		le.takeOver(ctx, kv, rev, 0)
	}
}

// reopen checks, after a failed read or write, whether the lease bucket is
// gone (deleted) and re-creates it, starting its revisions above every
// epoch seen, so that the next holder's epoch is higher than any before.
// It returns the handle to use next.
func (le *Lease) reopen(ctx context.Context, kv jetstream.KeyValue) jetstream.KeyValue {
	if _, err := le.l.js.KeyValue(ctx, LeaseBucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		return kv
	}
	le.log.Warn().Uint64(events.LogEpoch, le.maxEpoch.Load()).Msg("lease bucket is gone: re-creating it")
	nkv, err := le.recreate(ctx)
	if err != nil {
		le.log.Warn().Err(err).Msg("re-create lease bucket")
		return kv
	}
	return nkv
}

// recreate creates the missing lease bucket, starting its revisions above
// every epoch seen, and opens it.
func (le *Lease) recreate(ctx context.Context) (jetstream.KeyValue, error) {
	if err := le.l.ensureLease(ctx); err != nil {
		return nil, err
	}
	le.startAbove(ctx)
	return le.l.js.KeyValue(ctx, LeaseBucket)
}

// startAbove makes a bucket this node just created start its revisions
// above every epoch seen: the lease's own and the event log's (floor). A
// bucket that already holds a record (another node re-created it and
// campaigned first) is left as it is: purging would erase a live lease.
func (le *Lease) startAbove(ctx context.Context) {
	if le.floor != nil {
		f, err := le.floor(ctx)
		if err != nil {
			le.log.Warn().Err(err).Msg("read the event log's highest epoch for a new lease bucket")
		}
		le.seen(f)
	}
	above := le.maxEpoch.Load()
	if above == 0 {
		return
	}
	s, err := le.l.js.Stream(ctx, "KV_"+LeaseBucket)
	if err == nil {
		var info *jetstream.StreamInfo
		if info, err = s.Info(ctx); err == nil && info.State.Msgs > 0 {
			return
		}
	}
	if err == nil {
		err = s.Purge(ctx, jetstream.WithPurgeSequence(above+1))
	}
	if err != nil {
		le.log.Warn().Err(err).Uint64(events.LogEpoch, above).Msg("start the new lease bucket above the epochs seen")
	}
}

// seen raises maxEpoch to v.
func (le *Lease) seen(v uint64) {
	for {
		old := le.maxEpoch.Load()
		if v <= old || le.maxEpoch.CompareAndSwap(old, v) {
			return
		}
	}
}

func (le *Lease) campaign(ctx context.Context, kv jetstream.KeyValue) {
	b, _ := json.Marshal(le.self)
	rev, err := kv.Create(ctx, leaseKey, b)
	if err != nil {
		return // someone else was faster, or the bucket is unavailable
	}
	le.acquired(ctx, kv, rev)
}

// takeOver replaces a record this node's previous incarnation left (its
// revision rev, its epoch old), or a malformed one, with a new epoch, by
// compare-and-set: no other node holds the lease meanwhile (the record
// names this node, or nobody), and the higher epoch fences whatever the
// previous incarnation started.
func (le *Lease) takeOver(ctx context.Context, kv jetstream.KeyValue, rev, old uint64) {
	b, _ := json.Marshal(le.self)
	nrev, err := kv.Update(ctx, leaseKey, b, rev)
	if err != nil {
		le.set(LeaseInfo{}, false, false, 0)
		return
	}
	le.log.Info().Uint64("previous_epoch", old).Msg("taking over a lease record left by this node's previous run, or malformed")
	le.acquired(ctx, kv, nrev)
}

// acquired completes an acquisition at revision rev: the epoch is that
// revision, written into the value with the first renewal.
func (le *Lease) acquired(ctx context.Context, kv jetstream.KeyValue, rev uint64) {
	mine := le.self
	mine.Since = time.Now().UTC()
	mine.Epoch = rev
	b, _ := json.Marshal(mine)
	nrev, err := kv.Update(ctx, leaseKey, b, rev)
	if err != nil {
		le.set(LeaseInfo{}, false, false, 0)
		return
	}
	le.seen(nrev)
	le.log.Info().Uint64(events.LogEpoch, rev).Msg("acquired leader lease")
	le.set(mine, true, true, nrev)
}

func (le *Lease) heldBefore() bool {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.everHeld
}

func (le *Lease) release(kv jetstream.KeyValue) {
	le.mu.Lock()
	held, rev := le.held, le.rev
	le.held, le.known = false, false
	le.signalChange(held, le.current.Epoch)
	le.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := kv.Delete(ctx, leaseKey, jetstream.LastRevision(rev)); err != nil {
		le.log.Debug().Err(err).Msg("release leader lease")
	}
}

func (le *Lease) set(info LeaseInfo, known, held bool, rev uint64) {
	le.mu.Lock()
	wasHeld, wasEpoch := le.held, le.current.Epoch
	le.current, le.known, le.held, le.rev = info, known, held, rev
	le.everHeld = le.everHeld || held
	le.signalChange(wasHeld, wasEpoch)
	le.mu.Unlock()
}
