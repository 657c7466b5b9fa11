package eventlog_test

import "github.com/regent-ha/regent/events/natsnode"

type (
	natsnodeOptions = natsnode.Options
	natsnodeNode    = natsnode.Node
)

var natsnodeStart = natsnode.Start
