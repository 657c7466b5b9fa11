package events

import "time"

// StreamSpec describes one JetStream stream Regent owns. events/eventlog turns
// it into a jetstream.StreamConfig; it is stdlib-only here so every package can
// read the retention rules without importing nats.go.
type StreamSpec struct {
	Name        string
	Subjects    []string
	Replicas    int
	MaxAge      time.Duration // 0: keep forever (up to MaxBytes)
	MaxBytes    int64
	Duplicates  time.Duration // dedup window for Nats-Msg-Id
	DenyDelete  bool
	DenyPurge   bool
	Description string
}

// StreamOptions are the deployment-dependent knobs of the stream specs.
type StreamOptions struct {
	Replicas          int           // 1 single node, 3 clustered
	ObservationMaxAge time.Duration // default 24h
	ObservationBytes  int64         // default 1 GiB
	EventBytes        int64         // default 4 GiB
	EventMaxAge       time.Duration // default 0 (forever, bounded by bytes)
}

// SizeStreams shares a node's store (storeBytes) between the streams:
// 30 % for the observations (kept obsMaxAge), eventBytes for the events,
// at most 60 % (and 60 % when eventBytes is 0).
func SizeStreams(storeBytes, eventBytes int64, obsMaxAge time.Duration, replicas int) StreamOptions {
	if eventBytes <= 0 || eventBytes > storeBytes*6/10 {
		eventBytes = storeBytes * 6 / 10
	}
	return StreamOptions{Replicas: replicas, ObservationMaxAge: obsMaxAge, ObservationBytes: storeBytes * 3 / 10, EventBytes: eventBytes}
}

// Streams returns the stream specs for the given options, defaults filled in.
func Streams(o StreamOptions) []StreamSpec {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.ObservationMaxAge <= 0 {
		o.ObservationMaxAge = 24 * time.Hour
	}
	if o.ObservationBytes <= 0 {
		o.ObservationBytes = 1 << 30
	}
	if o.EventBytes <= 0 {
		o.EventBytes = 4 << 30
	}
	return []StreamSpec{
		{
			Name:        EventsName,
			Subjects:    []string{EventsAll},
			Replicas:    o.Replicas,
			MaxAge:      o.EventMaxAge,
			MaxBytes:    o.EventBytes,
			Duplicates:  2 * time.Minute,
			DenyDelete:  true,
			DenyPurge:   true,
			Description: "Regent domain events: inventory, failures, recoveries (audit log)",
		},
		{
			Name:        ObservationsName,
			Subjects:    []string{ObservationsAll},
			Replicas:    o.Replicas,
			MaxAge:      o.ObservationMaxAge,
			MaxBytes:    o.ObservationBytes,
			Duplicates:  30 * time.Second,
			Description: "Regent probe observations, one subject per cluster and instance",
		},
	}
}
