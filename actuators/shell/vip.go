package shell

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// Default VIP command templates.
const (
	DefaultVIPAddCommand    = "ip address add {vip}/32 dev {interface}"
	DefaultVIPRemoveCommand = "ip address del {vip}/32 dev {interface}"
	DefaultVIPCheckCommand  = "ip -o address show dev {interface}"
	DefaultARPCommand       = "arping -U -c 1 -I {interface} {vip}"
)

// VIPOptions configures a VIP. Command templates take the placeholders
// {vip}, {interface}, {host} and {port}, plus any the Resolve function
// returns; values are quoted like hook placeholders.
type VIPOptions struct {
	Address   string // VIPAddress; "" disables the VIP (Add/Remove do nothing)
	Interface string // VIPInterface

	AddCommand    string // default DefaultVIPAddCommand
	RemoveCommand string // default DefaultVIPRemoveCommand
	// CheckCommand lists the host's addresses (default
	// DefaultVIPCheckCommand); the host has the VIP when its output holds
	// the address as a whole word followed by '/'.
	CheckCommand string
	// ARPCommand announces the VIP after it was added (default
	// DefaultARPCommand). Its failure is logged, not returned; when the
	// command is not found on the host it is skipped quietly.
	ARPCommand string
	NoARP      bool // never announce

	// RemoteExecPrefix is put before every command to run it on the host,
	// e.g. "ssh {host}" or "ip netns exec {netns}". Empty: run locally.
	RemoteExecPrefix string
	// Resolve returns extra placeholders for a host (e.g. {netns}); nil for
	// none. The built-in placeholders take precedence.
	Resolve func(host events.InstanceKey) map[string]string

	Shell   string        // default "bash"
	Env     []string      // nil: Regent's environment
	Timeout time.Duration // per command (default 10 s)
	Logger  zerolog.Logger
}

// VIP adds, removes and checks the virtual IP on a host by running shell
// commands, locally or through the remote-exec prefix. It is safe for
// concurrent use. The gratuitous ARP after an Add runs in a goroutine the
// VIP owns (arping waits about a second for replies, which must not delay
// a failover); Wait and Close wait for those.
type VIP struct {
	opts VIPOptions
	x    executor
	has  *regexp.Regexp
	log  zerolog.Logger

	mu     sync.Mutex // guards closed and the Add side of arp
	closed bool
	arp    sync.WaitGroup
}

var _ actuators.VIP = (*VIP)(nil)

// NewVIP returns a VIP. The address and interface are checked when used:
// a bad value makes every operation fail with a Permanent error.
func NewVIP(opts VIPOptions) *VIP {
	opts.Address = strings.TrimSpace(opts.Address)
	opts.AddCommand = orDefault(opts.AddCommand, DefaultVIPAddCommand)
	opts.RemoveCommand = orDefault(opts.RemoveCommand, DefaultVIPRemoveCommand)
	opts.CheckCommand = orDefault(opts.CheckCommand, DefaultVIPCheckCommand)
	opts.ARPCommand = orDefault(opts.ARPCommand, DefaultARPCommand)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultVIPTimeout
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	return &VIP{
		opts: opts,
		x:    newExecutor(opts.Shell, 0, 0),
		has:  regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(opts.Address) + `/`),
		log:  opts.Logger.With().Str(events.LogComponent, "vip").Str("vip", opts.Address).Logger(),
	}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// Address returns the VIP, "" when none is configured.
func (v *VIP) Address() string { return v.opts.Address }

// Has reports whether host carries the VIP (false when none is configured).
func (v *VIP) Has(ctx context.Context, host events.InstanceKey) (bool, error) {
	if v.opts.Address == "" {
		return false, nil
	}
	res, line, err := v.exec(ctx, "check vip", v.opts.CheckCommand, host)
	if err != nil {
		return false, err
	}
	if res.failed() {
		return false, v.classify("check vip", host, line, res)
	}
	return v.has.MatchString(res.Output), nil
}

// Add puts the VIP on host. It reports changed=false, and does nothing,
// when the VIP is already there or none is configured.
func (v *VIP) Add(ctx context.Context, host events.InstanceKey) (bool, error) {
	if v.opts.Address == "" {
		return false, nil
	}
	has, err := v.Has(ctx, host)
	if err != nil || has {
		return false, err
	}
	res, line, err := v.exec(ctx, "add vip", v.opts.AddCommand, host)
	if err != nil {
		return false, err
	}
	if res.failed() {
		if strings.Contains(res.Output, "File exists") {
			return false, nil // added meanwhile
		}
		return false, v.classify("add vip", host, line, res)
	}
	v.log.Info().Str(events.LogInstance, host.String()).Dur(events.LogDuration, res.Took).Msg("vip added")
	v.announce(ctx, host)
	return true, nil
}

// Remove takes the VIP off host. It reports changed=false, and does
// nothing, when the VIP is not there or none is configured.
func (v *VIP) Remove(ctx context.Context, host events.InstanceKey) (bool, error) {
	if v.opts.Address == "" {
		return false, nil
	}
	has, err := v.Has(ctx, host)
	if err != nil || !has {
		return false, err
	}
	res, line, err := v.exec(ctx, "remove vip", v.opts.RemoveCommand, host)
	if err != nil {
		return false, err
	}
	if res.failed() {
		if strings.Contains(res.Output, "Cannot assign requested address") {
			return false, nil // removed meanwhile
		}
		return false, v.classify("remove vip", host, line, res)
	}
	v.log.Info().Str(events.LogInstance, host.String()).Dur(events.LogDuration, res.Took).Msg("vip removed")
	return true, nil
}

// announce sends a gratuitous ARP for the VIP from host in the background
// (not tied to ctx's cancellation, bounded by the timeout). Failures are
// logged only. Nothing is sent once the VIP is closed.
func (v *VIP) announce(ctx context.Context, host events.InstanceKey) {
	if v.opts.NoARP {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.arp.Add(1)
	actx := context.WithoutCancel(ctx)
	go func() {
		defer v.arp.Done()
		v.sendARP(actx, host)
	}()
}

func (v *VIP) sendARP(ctx context.Context, host events.InstanceKey) {
	log := v.log.With().Str(events.LogInstance, host.String()).Logger()
	res, _, err := v.exec(ctx, "announce vip", v.opts.ARPCommand, host)
	switch {
	case err != nil:
		log.Warn().Err(err).Msg("gratuitous arp not sent")
	case !res.failed():
		log.Debug().Dur(events.LogDuration, res.Took).Msg("gratuitous arp sent")
	case notFound(res):
		log.Debug().Str("output", res.Output).Msg("gratuitous arp skipped: command not found on host")
	default:
		log.Warn().Str("output", res.Output).Str("error", res.Err.Error()).Msg("gratuitous arp failed")
	}
}

// Wait waits for the gratuitous ARPs sent so far.
func (v *VIP) Wait() { v.arp.Wait() }

// Close stops sending gratuitous ARPs and waits for those under way.
func (v *VIP) Close() error {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	v.arp.Wait()
	return nil
}

// notFound reports whether a command failed because the shell, or the
// remote-exec prefix, found no such program.
func notFound(res result) bool {
	return res.ExitCode == 127 || strings.Contains(res.Output, "command not found") ||
		strings.Contains(res.Output, "No such file or directory")
}

// exec expands tmpl (behind the remote-exec prefix) for host and runs it.
// err is a Permanent *actuators.Error when the configuration or the host
// name is unusable; otherwise the command's own outcome is in res.
func (v *VIP) exec(ctx context.Context, op, tmpl string, host events.InstanceKey) (res result, line string, err error) {
	vals, err := v.values(host)
	if err != nil {
		return result{}, "", &actuators.Error{Kind: actuators.Permanent, Op: op, Key: host, Err: err}
	}
	line, err = Expand(v.opts.behindPrefix(tmpl), vals, v.x.bashLike())
	if err != nil {
		return result{}, "", &actuators.Error{Kind: actuators.Permanent, Op: op, Key: host, Err: err}
	}
	return v.x.run(ctx, line, v.opts.Env, v.opts.Timeout), line, nil
}

// behindPrefix is a command template as the VIP runs it: behind
// RemoteExecPrefix when one is set.
func (o VIPOptions) behindPrefix(tmpl string) string {
	if p := strings.TrimSpace(o.RemoteExecPrefix); p != "" {
		return p + " " + tmpl
	}
	return tmpl
}

var (
	ifaceName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$`)
	hostName  = regexp.MustCompile(`^[A-Za-z0-9_\[][A-Za-z0-9_.:%\[\]-]*$`)
)

// values returns the placeholders for host, after checking that no value
// can be read as an option or break out of a remote shell's parsing.
func (v *VIP) values(host events.InstanceKey) (map[string]string, error) {
	if _, err := netip.ParseAddr(v.opts.Address); err != nil {
		return nil, fmt.Errorf("check vip address %q: %w", v.opts.Address, err)
	}
	if !ifaceName.MatchString(v.opts.Interface) {
		return nil, fmt.Errorf("check vip interface %q: not an interface name", v.opts.Interface)
	}
	if !hostName.MatchString(host.Hostname) {
		return nil, fmt.Errorf("check host name %q: not a host name or address", host.Hostname)
	}
	vals := map[string]string{}
	if v.opts.Resolve != nil {
		for k, val := range v.opts.Resolve(host) {
			vals[k] = val
		}
	}
	vals["vip"] = v.opts.Address
	vals["interface"] = v.opts.Interface
	vals["host"] = host.Hostname
	vals["port"] = strconv.Itoa(host.Port)
	return vals, nil
}

// Output fragments that tell how a failed VIP command may fare on a retry.
var (
	permanentSigns = []string{
		"Operation not permitted", "Permission denied", "Cannot find device",
		"does not exist", "Cannot open network namespace", "command not found",
		"No such file or directory", "Invalid argument", "Error: ",
	}
	transientSigns = []string{
		"Connection timed out", "Connection refused", "No route to host",
		"Could not resolve hostname", "Connection reset", "Connection closed",
		"Network is unreachable", "Temporary failure", "Resource temporarily unavailable",
		"Device or resource busy",
	}
)

// classify turns a failed command into an *actuators.Error: Transient for
// timeouts, cancellation, ssh's own failures (exit 255) and network
// errors; Permanent otherwise ("RTNETLINK answers: Operation not
// permitted", a missing device or program, …).
func (v *VIP) classify(op string, host events.InstanceKey, line string, res result) error {
	err := fmt.Errorf("command %q: %w; output: %s", line, res.Err, clip(strings.TrimSpace(res.Output), 512))
	kind := actuators.Permanent
	switch {
	case res.TimedOut || ctxErr(res):
		kind = actuators.Transient
	case containsAny(res.Output, transientSigns):
		kind = actuators.Transient
	case containsAny(res.Output, permanentSigns):
		kind = actuators.Permanent
	case res.ExitCode == 255 && strings.HasPrefix(strings.TrimSpace(v.opts.RemoteExecPrefix), "ssh"):
		kind = actuators.Transient
	}
	return &actuators.Error{Kind: kind, Op: op, Key: host, Err: err}
}

func ctxErr(res result) bool {
	return errors.Is(res.Err, context.Canceled) || errors.Is(res.Err, context.DeadlineExceeded)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
