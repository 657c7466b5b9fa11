package natsnode

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Offline is a private copy of a stopped node's streams, served by a
// private server without a listener: Conn reads it, Close stops the server
// and removes the copy.
type Offline struct {
	node *Node
	dir  string
	// Conn is an in-process connection to the copy.
	Conn *nats.Conn
}

// Close closes the connection, stops the server and removes the copy.
func (o *Offline) Close() {
	o.Conn.Close()
	o.node.Shutdown()
	_ = os.RemoveAll(o.dir)
}

// OpenOffline reads a stopped node's log (its data directory, RaftDataDir)
// without touching it. The node's
// streams are R3 when it was clustered, and a standalone nats-server
// refuses to load a stream with more than one replica (10074). So the copy
// is built in two passes: a private standalone server creates each stream
// with the original configuration at one replica and stops; the original
// message blocks (msgs/: blocks and index) then replace the new, empty
// ones, and the server is started again on the copy, without a listener.
// The node's own directory is only read.
func OpenOffline(dataDir string, logger zerolog.Logger) (*Offline, error) {
	src := filepath.Join(dataDir, "jetstream", "jetstream", "$G", "streams")
	tmp, err := os.MkdirTemp("", "regent-replay-")
	if err != nil {
		return nil, fmt.Errorf("open offline log: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	cfgs, err := offlineConfigs(src)
	if err != nil {
		cleanup()
		return nil, err
	}
	opts := Options{Name: "regent-replay", StoreDir: tmp, NoClientListener: true, MaxMemory: 64 << 20, Logger: logger}
	for _, c := range cfgs {
		opts.MaxStore += c.MaxBytes
	}
	opts.MaxStore += 1 << 30
	if err := createStreams(opts, cfgs); err != nil {
		cleanup()
		return nil, err
	}
	for _, c := range cfgs {
		dst := filepath.Join(tmp, "jetstream", "$G", "streams", c.Name, "msgs")
		if err := os.RemoveAll(dst); err != nil {
			cleanup()
			return nil, fmt.Errorf("open offline log: %w", err)
		}
		if err := copyDir(filepath.Join(src, c.Name, "msgs"), dst); err != nil {
			cleanup()
			return nil, fmt.Errorf("open offline log: copy %s: %w", c.Name, err)
		}
	}
	node, err := Start(opts, 30*time.Second)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("open offline log: %w", err)
	}
	nc, err := node.InProcessConn("regent-replay")
	if err != nil {
		node.Shutdown()
		cleanup()
		return nil, err
	}
	return &Offline{node: node, dir: tmp, Conn: nc}, nil
}

// offlineConfigs reads the configurations of Regent's two streams from
// their meta.inf, at one replica.
func offlineConfigs(src string) ([]jetstream.StreamConfig, error) {
	var out []jetstream.StreamConfig
	for _, name := range []string{events.EventsName, events.ObservationsName} {
		b, err := os.ReadFile(filepath.Join(src, name, "meta.inf"))
		if err != nil {
			return nil, fmt.Errorf("open offline log: no %s stream in the data directory (want DIR/jetstream/jetstream/$G/streams): %w", name, err)
		}
		var c jetstream.StreamConfig
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("open offline log: read %s configuration: %w", name, err)
		}
		c.Replicas, c.Placement, c.Metadata = 1, nil, nil
		out = append(out, c)
	}
	return out, nil
}

// createStreams creates the streams on a private server and stops it.
func createStreams(opts Options, cfgs []jetstream.StreamConfig) error {
	node, err := Start(opts, 30*time.Second)
	if err != nil {
		return fmt.Errorf("open offline log: %w", err)
	}
	defer node.Shutdown()
	nc, err := node.InProcessConn("regent-replay-setup")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("open offline log: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range cfgs {
		if _, err := js.CreateStream(ctx, c); err != nil {
			return fmt.Errorf("open offline log: create %s: %w", c.Name, err)
		}
	}
	return nil
}

// copyDir copies the regular files of a directory tree.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
