package api

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// CheckRoutes registers the API's routes under o's URLPrefix and
// StatusEndpoint as a node does (with no views behind them: nothing is
// served), so that a start-up check finds what would stop a node: the
// standard mux panics on a pattern it cannot parse or that collides with
// another (StatusEndpoint "/api/health"); here that is an error naming the
// two keys instead.
func CheckRoutes(o Options, defaultPort int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("keys \"URLPrefix\" %q and \"StatusEndpoint\" %q: the API cannot register its routes: %v", o.URLPrefix, o.StatusEndpoint, r)
		}
	}()
	s := New(Options{ListenAddress: o.ListenAddress, URLPrefix: o.URLPrefix, StatusEndpoint: o.StatusEndpoint},
		nil, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(nil, nil, defaultPort)
	s.RegisterRecovery(nil, nil, nil)
	s.RegisterReadTools(nil, nil, ReadToolsOptions{})
	s.RegisterTags(nil, nil)
	s.RegisterInventoryWrites(nil, nil, nil)
	s.RegisterAudit(nil, nil)
	return nil
}
