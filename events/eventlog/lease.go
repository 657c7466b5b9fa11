package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
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
	LeaseBucket = "REGENT_LEADER"
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

	mu      sync.Mutex // guards current, held, rev, known
	current LeaseInfo  // the holder as last seen (may be self)
	known   bool       // whether current is meaningful
	held    bool       // whether this node holds it
	rev     uint64     // last revision written by this node while held
	// everHeld: this process held the lease at some point. A record naming
	// this node that this process never wrote was left by its previous
	// incarnation (crashed, SIGKILLed): it is taken over at once instead of
	// after the TTL.
	everHeld bool
}

// NewLease prepares a campaign for node (its HTTP address addr).
func (l *Log) NewLease(node, addr string) *Lease {
	return &Lease{l: l, self: LeaseInfo{Holder: node, Addr: addr}, ttl: LeaseTTL,
		log: l.log.With().Str(events.LogComponent, "lease").Str(events.LogNode, node).Logger()}
}

// Current returns the holder as last seen, whether it is known, and whether
// this node holds the lease.
func (le *Lease) Current() (info LeaseInfo, known, held bool) {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.current, le.known, le.held
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
		le.step(ctx, kv)
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
			if err = le.l.ensureLease(actx); err == nil {
				kv, err = le.l.js.KeyValue(actx, LeaseBucket)
			}
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

func (le *Lease) step(ctx context.Context, kv jetstream.KeyValue) {
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
			return
		}
		le.set(cur, true, true, nrev)
		return
	}
	e, err := kv.Get(cctx, leaseKey)
	switch {
	case err == nil:
		var info LeaseInfo
		if json.Unmarshal(e.Value(), &info) == nil {
			if info.Holder == le.self.Holder && !le.heldBefore() {
				le.takeOver(cctx, kv, e.Revision(), info.Epoch)
				return
			}
			le.set(info, true, false, 0)
			return
		}
		le.set(LeaseInfo{}, false, false, 0)
	case errors.Is(err, jetstream.ErrKeyNotFound):
		le.campaign(cctx, kv)
	default:
		le.set(LeaseInfo{}, false, false, 0)
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
// revision rev, its epoch old) with a new epoch, by compare-and-set: no
// other node holds the lease meanwhile (the record names this node), and
// the higher epoch fences whatever the previous incarnation started.
func (le *Lease) takeOver(ctx context.Context, kv jetstream.KeyValue, rev, old uint64) {
	b, _ := json.Marshal(le.self)
	nrev, err := kv.Update(ctx, leaseKey, b, rev)
	if err != nil {
		le.set(LeaseInfo{}, false, false, 0)
		return
	}
	le.log.Info().Uint64("previous_epoch", old).Msg("lease left by this node's previous run: taking it over")
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
	le.current, le.known, le.held, le.rev = info, known, held, rev
	le.everHeld = le.everHeld || held
	le.mu.Unlock()
}
