package fake

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// Version is the @@version every fake host reports.
const Version = "10.11.19-MariaDB-fake"

// txn is one binlogged transaction: it inserts row id.
type txn struct {
	gtid gtid
	id   int64
}

// host is one fake server.
type host struct {
	key      events.InstanceKey
	serverID uint32
	domain   uint32
	up       bool
	readOnly bool

	// Replication configuration (SHOW SLAVE STATUS).
	hasSource      bool
	source         events.InstanceKey
	user, password string
	mode           actuators.SourceMode
	ioOn, sqlOn    bool // threads started ("Connecting" counts as started)
	ioErr          string
	sqlErrno       int
	sqlErr         string
	session        int // incremented whenever a thread starts
	holdSQL        bool

	relay    []txn    // fetched, not yet applied
	ioPos    position // Gtid_IO_Pos
	slavePos position // gtid_slave_pos
	binlog   []txn    // log_bin with log_slave_updates
	rows     map[int64]bool
}

func (h *host) binlogPos() position {
	p := position{}
	for _, t := range h.binlog {
		p[t.gtid.domain] = t.gtid
	}
	return p
}

// currentPos is gtid_current_pos: per domain the later of the binlog and
// slave positions.
func (h *host) currentPos() position {
	p := h.binlogPos()
	for d, g := range h.slavePos {
		if g.seq > p[d].seq {
			p[d] = g
		}
	}
	return p
}

// Topology is the in-memory model. It is safe for concurrent use.
type Topology struct {
	mu     sync.Mutex
	hosts  map[events.InstanceKey]*host
	repl   actuators.Credentials
	manual bool
	calls  map[string]int
	faults map[string]map[int]actuators.ErrorKind
}

// New returns an empty topology whose hosts accept the replication user
// repl.
func New(repl actuators.Credentials) *Topology {
	return &Topology{hosts: map[events.InstanceKey]*host{}, repl: repl,
		calls: map[string]int{}, faults: map[string]map[int]actuators.ErrorKind{}}
}

// NewFlat returns n hosts 198.18.0.1..n:3306 as the lab builds them: host 1
// a writable primary, the others read-only replicas of it using slave_pos
// with the replication user repl/repl, running.
func NewFlat(n int) (*Topology, []events.InstanceKey) {
	t := New(actuators.Credentials{User: "repl", Password: "repl"})
	keys := make([]events.InstanceKey, n)
	for i := range n {
		keys[i] = events.InstanceKey{Hostname: "198.18.0." + strconv.Itoa(i+1), Port: 3306}
		t.AddHost(keys[i], uint32(i+1), i > 0)
	}
	for _, k := range keys[1:] {
		h := t.hosts[k]
		h.hasSource, h.source, h.user, h.password, h.mode = true, keys[0], "repl", "repl", actuators.SlavePos
		t.startThreads(h, true, true)
	}
	t.settle()
	return t, keys
}

// AddHost adds a running host without a source.
func (t *Topology) AddHost(key events.InstanceKey, serverID uint32, readOnly bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hosts[key] = &host{key: key, serverID: serverID, up: true, readOnly: readOnly,
		ioPos: position{}, slavePos: position{}, rows: map[int64]bool{}}
}

// SetManual switches between immediate replication (false, the default)
// and replication only on Tick and WaitRelayApplied (true).
func (t *Topology) SetManual(manual bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.manual = manual
}

// HoldSQL stops key's SQL thread from applying (it still "runs") until
// released: the relay log grows, as on a lagging replica.
func (t *Topology) HoldSQL(key events.InstanceKey, hold bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h := t.hosts[key]; h != nil {
		h.holdSQL = hold
		t.autoSettle()
	}
}

// Down makes key unreachable, as a killed server; Up brings it back with
// its data.
func (t *Topology) Down(key events.InstanceKey) { t.setUp(key, false) }

// Up brings key back.
func (t *Topology) Up(key events.InstanceKey) { t.setUp(key, true) }

func (t *Topology) setUp(key events.InstanceKey, up bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h := t.hosts[key]; h != nil {
		h.up = up
		t.autoSettle()
	}
}

// Write commits row id on key as a privileged user (read_only does not
// stop it): a new GTID in key's domain with key's server_id.
func (t *Topology) Write(key events.InstanceKey, id int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, err := t.reachable(key)
	if err != nil {
		return err
	}
	if h.rows[id] {
		return fmt.Errorf("write on %s: Error 1062 (23000): Duplicate entry '%d' for key 'PRIMARY'", key, id)
	}
	g := gtid{domain: h.domain, server: h.serverID, seq: h.currentPos()[h.domain].seq + 1}
	h.binlog = append(h.binlog, txn{gtid: g, id: id})
	h.rows[id] = true
	t.autoSettle()
	return nil
}

// WriteLocal adds row id on key without binlogging it (sql_log_bin=0);
// DeleteLocal removes it likewise.
func (t *Topology) WriteLocal(key events.InstanceKey, id int64) error { return t.local(key, id, true) }

// DeleteLocal removes row id on key without binlogging it.
func (t *Topology) DeleteLocal(key events.InstanceKey, id int64) error {
	return t.local(key, id, false)
}

func (t *Topology) local(key events.InstanceKey, id int64, present bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, err := t.reachable(key)
	if err != nil {
		return err
	}
	if present {
		h.rows[id] = true
	} else {
		delete(h.rows, id)
	}
	return nil
}

// Has reports whether key has row id.
func (t *Topology) Has(key events.InstanceKey, id int64) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, err := t.reachable(key)
	if err != nil {
		return false, err
	}
	return h.rows[id], nil
}

// Session is a token of key's replication threads: it changes whenever a
// thread is started.
func (t *Topology) Session(key events.InstanceKey) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, err := t.reachable(key)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(h.session), nil
}

// Tick lets every running replica fetch and apply what it can.
func (t *Topology) Tick() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settle()
}

// errRefused is the error of an operation on a down host.
var errRefused = fmt.Errorf("connect: %w", syscall.ECONNREFUSED)

// reachable returns key's host or a Transient error. Callers hold t.mu.
func (t *Topology) reachable(key events.InstanceKey) (*host, error) {
	h := t.hosts[key]
	if h == nil || !h.up {
		return nil, fmt.Errorf("dial tcp %s: %w", key, errRefused)
	}
	return h, nil
}

func (t *Topology) autoSettle() {
	if !t.manual {
		t.settle()
	}
}

// settle repeats replication steps until nothing moves (bounded by the
// number of hosts, enough for any chain). Callers hold t.mu.
func (t *Topology) settle() {
	keys := make([]events.InstanceKey, 0, len(t.hosts))
	for k := range t.hosts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for range len(keys) + 1 {
		moved := false
		for _, k := range keys {
			h := t.hosts[k]
			moved = t.fetch(h) || moved
			moved = t.apply(h, false) || moved
		}
		if !moved {
			return
		}
	}
}

// connected reports whether h's IO thread is connected to its source, and
// records why not.
func (t *Topology) connected(h *host) bool {
	if !h.up || !h.ioOn || h.ioErr != "" {
		return false
	}
	src := t.hosts[h.source]
	if src == nil || !src.up {
		return false
	}
	if h.user != t.repl.User || h.password != t.repl.Password {
		h.ioErr = fmt.Sprintf("error connecting to master '%s@%s' - retry-time: 1  maximum-retries: 100000  message: Access denied for user '%s'@'%s' (using password: YES)",
			h.user, h.source, h.user, h.key.Hostname)
		return false
	}
	return true
}

// fetch copies the source's new transactions into h's relay log.
func (t *Topology) fetch(h *host) bool {
	if !t.connected(h) {
		return false
	}
	src := t.hosts[h.source]
	if err := checkDivergence(h.ioPos, src.binlog); err != nil {
		h.ioErr = err.Error()
		return false
	}
	moved := false
	for _, tx := range src.binlog {
		if tx.gtid.seq > h.ioPos[tx.gtid.domain].seq {
			h.relay = append(h.relay, tx)
			h.ioPos[tx.gtid.domain] = tx.gtid
			moved = true
		}
	}
	return moved
}

// checkDivergence fails like MariaDB's dump thread in strict mode when the
// replica asks for a GTID the source's binlog does not have.
func checkDivergence(from position, binlog []txn) error {
	last := position{}
	has := map[gtid]bool{}
	for _, tx := range binlog {
		last[tx.gtid.domain] = tx.gtid
		has[tx.gtid] = true
	}
	for d, g := range from {
		if g.seq == 0 || has[g] {
			continue
		}
		if g.seq > last[d].seq {
			return fmt.Errorf("Got fatal error 1236 from master when reading data from binary log: 'Error: connecting slave requested to start from GTID %s, which is not in the master's binlog'", g)
		}
		return fmt.Errorf("Got fatal error 1236 from master when reading data from binary log: 'Error: connecting slave requested to start from GTID %s, which is not in the master's binlog. Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions'", g)
	}
	return nil
}

// apply runs h's relay log as the SQL thread; force ignores HoldSQL (a
// wait that drains the relay log).
func (t *Topology) apply(h *host, force bool) bool {
	if !h.up || !h.sqlOn || (h.holdSQL && !force) {
		return false
	}
	moved := false
	for len(h.relay) > 0 {
		tx := h.relay[0]
		own := h.binlogPos()[tx.gtid.domain]
		switch {
		case tx.gtid.server == h.serverID:
			// replicate_same_server_id=0: the host's own transactions come
			// back from its new source and are skipped, position kept.
			h.slavePos[tx.gtid.domain] = tx.gtid
			h.relay = h.relay[1:]
			moved = true
			continue
		case tx.gtid.seq <= own.seq:
			h.sqlOn, h.sqlErrno = false, 1950
			h.sqlErr = fmt.Sprintf("An attempt was made to binlog GTID %s which would create an out-of-order sequence number with existing GTID %s, and gtid strict mode is enabled", tx.gtid, own)
			return moved
		case h.rows[tx.id]:
			h.sqlOn, h.sqlErrno = false, 1062
			h.sqlErr = fmt.Sprintf("Could not execute Write_rows_v1 event on table regent_lab.acked; Duplicate entry '%d' for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log binlog.000001, end_log_pos 0, Gtid %s", tx.id, tx.gtid)
			return moved
		}
		h.rows[tx.id] = true
		h.binlog = append(h.binlog, tx)
		h.slavePos[tx.gtid.domain] = tx.gtid
		h.relay = h.relay[1:]
		moved = true
	}
	return moved
}

// startThreads starts the stopped threads among io and sql. Starting the IO
// thread while the SQL thread is stopped discards the relay log and
// reconnects from gtid_slave_pos or gtid_current_pos (MariaDB GTID).
func (t *Topology) startThreads(h *host, io, sql bool) {
	if io && !h.ioOn {
		if !h.sqlOn {
			h.relay = nil
			h.ioPos = h.slavePos.clone()
			if h.mode == actuators.CurrentPos {
				h.ioPos = h.currentPos()
			}
		}
		h.ioOn, h.ioErr = true, ""
		h.session++
	}
	if sql && !h.sqlOn {
		h.sqlOn, h.sqlErr, h.sqlErrno = true, "", 0
		h.session++
	}
}

// errInjected is the cause of an injected fault.
var errInjected = errors.New("injected fault")
