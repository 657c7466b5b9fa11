package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
)

// healthCommands are the operations commands of issue 17: publishing the
// primaries to the KV bucket and reloading the configuration.
func healthCommands() []command {
	return []command{
		{name: "submit-masters-to-kv-stores", summary: "publish a cluster's primary (-a), or every cluster's, to the KV bucket; print Key:Value lines",
			path: func(o *options) string {
				if o.alias == "" {
					return "submit-masters-to-kv-stores"
				}
				return "submit-masters-to-kv-stores/" + url.PathEscape(o.alias)
			}, output: outKVPairs},
		{name: "reload-configuration", summary: "re-read the config files of the node -U names (not in orchestrator-client); print its answer or what it refused",
			path: fixedPath("reload-configuration"), output: outMessage},
	}
}

// outMessage prints the envelope's Message ("Config reloaded").
func outMessage(w io.Writer, r reply) error {
	_, err := fmt.Fprintln(w, r.message)
	return err
}

// outKVPairs is orchestrator-client's `.[] | (.Key + ":" + .Value)` on
// Details.
func outKVPairs(w io.Writer, r reply) error {
	list, err := items(r.data())
	if err != nil {
		return err
	}
	for _, it := range list {
		var p struct{ Key, Value string }
		if err := json.Unmarshal(it, &p); err != nil {
			return failf("expected a {Key, Value} pair, got %s", truncate(it, 80))
		}
		fmt.Fprintln(w, p.Key+":"+p.Value)
	}
	return nil
}
