package timeline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// TimeLayout is how timeline lines show instants (UTC, milliseconds).
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Line renders one timeline line: event time, sequence, cluster, kind and
// summary, separated by two spaces. color wraps the kind and summary in
// ANSI colours by severity.
func Line(it Item, color bool) string {
	cluster := it.Env.Cluster
	if cluster == "" {
		cluster = events.NoCluster
	}
	kind, sum := fmt.Sprintf("%-22s", it.Env.Kind), Summary(it.Env)
	if color {
		if c := colorOf(it.Env); c != "" {
			kind, sum = c+kind+ansiReset, c+sum+ansiReset
		}
	}
	return fmt.Sprintf("%s  %6d  %-16s  %s  %s", it.Env.Time.UTC().Format(TimeLayout), it.Seq, cluster, kind, sum)
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

func colorOf(e events.Envelope) string {
	switch e.Kind {
	case events.KindFailureDetected, events.KindRecoveryFailed, events.KindRecoveryBlocked, events.KindDeadLetter, events.KindManualOperationFailed:
		return ansiRed
	case events.KindRecoveryStarted, events.KindRecoveryLeaseTaken, events.KindManualOperationStarted, events.KindGlobalRecoveriesSet:
		return ansiYellow
	case events.KindRecoveryCompleted, events.KindFailureCleared, events.KindRecoveryAcknowledged, events.KindManualOperationCompleted:
		return ansiGreen
	case events.KindRecoveryStep, events.KindVIPMoved:
		var s events.RecoveryStep
		if e.Kind == events.KindRecoveryStep && e.Decode(&s) == nil && s.Outcome == events.StepFailed {
			return ansiRed
		}
		return ansiCyan
	case events.KindHookRan:
		var h events.HookRan
		if e.Decode(&h) == nil && (h.ExitCode != 0 || h.Error != "" || h.TimedOut) {
			return ansiRed
		}
		return ansiCyan
	}
	if e.Kind.IsObservation() {
		return ansiDim
	}
	return ""
}

// Summary is a readable one-line description of an event.
func Summary(e events.Envelope) string {
	f, ok := summaries[e.Kind]
	if !ok {
		return compact(e.Payload)
	}
	s, err := f(e)
	if err != nil {
		return "undecodable payload: " + err.Error()
	}
	return s
}

type summarizer func(events.Envelope) (string, error)

// decodeAs decodes e's payload as T and formats it with f.
func decodeAs[T any](f func(events.Envelope, *T) string) summarizer {
	return func(e events.Envelope) (string, error) {
		p := new(T)
		if err := e.Decode(p); err != nil {
			return "", err
		}
		return f(e, p), nil
	}
}

var summaries = map[events.Kind]summarizer{
	events.KindInstanceObserved:    decodeAs(observed),
	events.KindInstanceProgress:    decodeAs(progress),
	events.KindInstanceUnreachable: decodeAs(unreachable),
	events.KindInstanceDiscovered: decodeAs(func(_ events.Envelope, p *events.InstanceDiscovered) string {
		s := p.Key.String() + " discovered via " + p.Via
		if !p.From.IsZero() {
			s += " from " + p.From.String()
		}
		return s
	}),
	events.KindInstanceForgotten: decodeAs(func(_ events.Envelope, p *events.InstanceForgotten) string {
		return p.Key.String() + " forgotten" + paren(p.Reason)
	}),
	events.KindClusterForgotten: decodeAs(func(_ events.Envelope, p *events.ClusterForgotten) string {
		return "cluster " + p.ClusterName + " forgotten"
	}),
	events.KindClusterAliasSet: decodeAs(func(_ events.Envelope, p *events.ClusterAliasSet) string {
		return "cluster " + p.ClusterName + " alias " + p.Alias
	}),
	events.KindCandidateRegistered: decodeAs(func(_ events.Envelope, p *events.CandidateRegistered) string {
		return fmt.Sprintf("%s registered as %s until %s", p.Key, p.PromotionRule, stamp(p.Until))
	}),
	events.KindDowntimeBegun: decodeAs(func(_ events.Envelope, p *events.DowntimeBegun) string {
		return fmt.Sprintf("%s downtimed by %s until %s: %s", p.Key, p.Owner, stamp(p.Until), p.Reason)
	}),
	events.KindDowntimeEnded: decodeAs(func(_ events.Envelope, p *events.DowntimeEnded) string {
		return p.Key.String() + " downtime ended"
	}),
	events.KindMaintenanceBegun: decodeAs(func(_ events.Envelope, p *events.MaintenanceBegun) string {
		return fmt.Sprintf("%s in maintenance by %s until %s: %s", p.Key, p.Owner, stamp(p.Until), p.Reason)
	}),
	events.KindMaintenanceEnded: decodeAs(func(_ events.Envelope, p *events.MaintenanceEnded) string {
		return p.Key.String() + " maintenance ended"
	}),
	events.KindInstanceTagged: decodeAs(func(_ events.Envelope, p *events.InstanceTagged) string {
		return p.Key.String() + " tagged " + p.Name + "=" + p.Value + paren(by(p.Who))
	}),
	events.KindInstanceUntagged: decodeAs(func(_ events.Envelope, p *events.InstanceUntagged) string {
		what, where := p.Name, "every instance"
		if p.HasValue {
			what += "=" + p.Value
		}
		if !p.Key.IsZero() {
			where = p.Key.String()
		}
		return "tag " + what + " removed from " + where + paren(by(p.Who))
	}),
	events.KindFailureDetected:    decodeAs(detected),
	events.KindRecoveryStarted:    decodeAs(started),
	events.KindRecoveryLeaseTaken: decodeAs(leaseTaken),
	events.KindRecoveryStep:       decodeAs(step),
	events.KindRecoveryCompleted: decodeAs(func(_ events.Envelope, p *events.RecoveryCompleted) string {
		s := fmt.Sprintf("recovery %s completed: successor %s in %s", p.RecoveryID, p.Successor, Dur(p.Took))
		if len(p.LostReplicas) > 0 {
			s += "; lost replicas " + keys(p.LostReplicas)
		}
		return s
	}),
	events.KindRecoveryFailed: decodeAs(func(_ events.Envelope, p *events.RecoveryFailed) string {
		return fmt.Sprintf("recovery %s failed at %s after %s: %s", p.RecoveryID, p.Step, Dur(p.Took), p.Error)
	}),
	events.KindRecoveryAcknowledged: decodeAs(acknowledged),
	events.KindRecoveryBlocked: decodeAs(func(_ events.Envelope, p *events.RecoveryBlocked) string {
		return fmt.Sprintf("%s on %s blocked: %s", p.Analysis, p.Failed, p.Reason)
	}),
	events.KindGlobalRecoveriesSet: decodeAs(func(_ events.Envelope, p *events.GlobalRecoveriesSet) string {
		if p.Enabled {
			return "global recoveries enabled by " + p.Who
		}
		return "global recoveries disabled by " + p.Who
	}),
	events.KindHookRan: decodeAs(hook),
	events.KindVIPMoved: decodeAs(func(_ events.Envelope, p *events.VIPMoved) string {
		from := p.From.String()
		if from == "" {
			from = "(none)"
		}
		return fmt.Sprintf("vip %s %s → %s", p.VIP, from, p.To)
	}),
	events.KindFailureCleared: decodeAs(func(_ events.Envelope, p *events.FailureCleared) string {
		return fmt.Sprintf("failure %s of %s cleared", p.DetectionID, p.Failed)
	}),
	events.KindManualOperationStarted: decodeAs(func(_ events.Envelope, p *events.ManualOperation) string {
		return fmt.Sprintf("%s %s by %s", p.Operation, p.Target, p.Who) + paren(p.Detail)
	}),
	events.KindManualOperationCompleted: decodeAs(func(_ events.Envelope, p *events.ManualOperationCompleted) string {
		return fmt.Sprintf("%s %s done in %s", p.Operation, p.Target, p.Took.Round(time.Millisecond)) + paren(p.Detail)
	}),
	events.KindManualOperationFailed: decodeAs(func(_ events.Envelope, p *events.ManualOperationFailed) string {
		if p.Fenced {
			return fmt.Sprintf("%s %s stopped before %s: %s", p.Operation, p.Target, p.Step, p.Error)
		}
		return fmt.Sprintf("%s %s failed at %s: %s", p.Operation, p.Target, p.Step, p.Error)
	}),
	events.KindDeadLetter: decodeAs(func(_ events.Envelope, p *deadLetter) string {
		return fmt.Sprintf("consumer %s gave up on %s seq %d %s after %d deliveries: %s", p.Consumer, p.Stream, p.Seq, p.Kind, p.Deliveries, p.LastError)
	}),
	events.KindNote: decodeAs(func(_ events.Envelope, p *events.Note) string { return p.Text }),
	events.KindConfigReloaded: decodeAs(func(_ events.Envelope, p *events.ConfigReloaded) string {
		switch {
		case p.Error != "":
			return fmt.Sprintf("config reload (%s) on %s failed: %s", p.Trigger, p.Node, p.Error)
		case !p.Applied:
			return fmt.Sprintf("config reload (%s) on %s refused: %s need a restart", p.Trigger, p.Node, strings.Join(p.Refused, ", "))
		}
		return fmt.Sprintf("config reload (%s) on %s applied: %s", p.Trigger, p.Node, strings.Join(p.Changed, ", "))
	}),
}

// deadLetter is the part of the dead-letter payload the summary shows.
type deadLetter struct {
	Stream     string `json:"stream"`
	Seq        uint64 `json:"seq"`
	Consumer   string `json:"consumer"`
	Deliveries uint64 `json:"deliveries"`
	Kind       string `json:"kind"`
	LastError  string `json:"last_error"`
}

func observed(_ events.Envelope, p *events.InstanceObserved) string {
	ro := "rw"
	if p.ReadOnly {
		ro = "ro"
	}
	s := fmt.Sprintf("%s %s %s", p.Key, p.Version, ro)
	if r := p.Replication; r != nil {
		s += fmt.Sprintf(", replica of %s (io %s, sql %s)", r.SourceKey, thread(r.IOThread), thread(r.SQLThread))
	}
	if p.LagSeconds != nil {
		s += ", lag " + strconv.FormatInt(*p.LagSeconds, 10) + "s"
	}
	return s
}

func progress(_ events.Envelope, p *events.InstanceProgress) string {
	s := p.Key.String() + " progress"
	if pos := firstOf(p.GTIDCurrentPos, p.GTIDExecuted); pos != "" {
		s += " gtid " + pos
	} else {
		s += fmt.Sprintf(" %s:%d", p.SelfCoordinates.LogFile, p.SelfCoordinates.LogPos)
	}
	if p.LagSeconds != nil {
		s += ", lag " + strconv.FormatInt(*p.LagSeconds, 10) + "s"
	}
	return s
}

func unreachable(_ events.Envelope, p *events.InstanceUnreachable) string {
	return fmt.Sprintf("%s unreachable%s: %s", p.Key, paren(p.Kind), p.Error)
}

func detected(_ events.Envelope, p *events.FailureDetected) string {
	lost := 0
	for _, v := range p.Vantage {
		if !v.Reachable {
			lost++
		}
	}
	agree := 0
	for _, r := range p.Replicas {
		if r.Agrees {
			agree++
		}
	}
	s := fmt.Sprintf("%s on %s: %d/%d nodes cannot reach it, %d/%d replicas agree", p.Analysis, p.Failed, lost, len(p.Vantage), agree, len(p.Replicas))
	if !p.Actionable && p.Reason != "" {
		s += " (" + p.Reason + ")"
	}
	return s
}

func started(_ events.Envelope, p *events.RecoveryStarted) string {
	s := fmt.Sprintf("%s %s of %s (%s) on %s", p.Type, p.RecoveryID, p.Failed, p.Analysis, p.Node)
	if p.Manual {
		s += " by " + p.Who
	}
	rejected := 0
	for _, c := range p.Candidates {
		if strings.HasPrefix(c.Reason, "rejected") {
			rejected++
		}
	}
	succ := p.Successor.String()
	if succ == "" {
		succ = "none"
	}
	return s + fmt.Sprintf(": successor %s (%d candidates, %d rejected)", succ, len(p.Candidates), rejected)
}

func leaseTaken(e events.Envelope, p *events.RecoveryStarted) string {
	return fmt.Sprintf("recovery %s taken over by %s (epoch %d)", p.RecoveryID, firstOf(p.Node, e.Origin), e.Epoch)
}

func step(_ events.Envelope, p *events.RecoveryStep) string {
	name := p.Step
	if t := p.Target.String(); t != "" && !strings.Contains(name, t) {
		name += " " + t
	}
	s := fmt.Sprintf("step %s %s (%s)", name, p.Outcome, Dur(p.Took))
	if p.Error != "" {
		s += ": " + p.Error
	} else if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

func acknowledged(_ events.Envelope, p *events.RecoveryAcknowledged) string {
	what := p.RecoveryID
	switch {
	case p.All:
		what = "every recovery"
	case what == "" && p.ClusterName != "":
		what = "recoveries of cluster " + p.ClusterName
	case what == "" && !p.Instance.IsZero():
		what = "recoveries of " + p.Instance.String()
	default:
		what = "recovery " + what
	}
	return fmt.Sprintf("%s acknowledged by %s: %s", what, p.Who, p.Comment)
}

func hook(_ events.Envelope, p *events.HookRan) string {
	s := fmt.Sprintf("hook %s exit %d (%s)", p.Hook, p.ExitCode, Dur(p.Took))
	if p.TimedOut {
		s += " timed out"
	}
	if p.Async {
		s += " async"
	}
	if p.Error != "" {
		s += ": " + p.Error
	}
	return s
}

// Dur shows a duration rounded for humans: 11ms, 1.23s, 2m3s.
func Dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func thread(t events.ThreadState) string {
	switch t {
	case events.ThreadRunning:
		return "Yes"
	case events.ThreadStopped:
		return "No"
	case events.ThreadOther:
		return "Connecting"
	}
	return "none"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(TimeLayout)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func keys(ks []events.InstanceKey) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return strings.Join(out, ", ")
}

// compact shows a payload this package has no summary for, shortened.
func compact(p json.RawMessage) string {
	s := string(p)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// by is "by <who>", or "" for no one.
func by(who string) string {
	if who == "" {
		return ""
	}
	return "by " + who
}
