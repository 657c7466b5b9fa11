package api

import (
	"context"
	"net/http"
)

// Reloader re-reads this node's configuration files and applies what may
// change while it runs, or refuses the whole change naming the keys.
type Reloader interface {
	ReloadConfiguration(ctx context.Context, who string) (changed []string, err error)
}

// RegisterReload adds reload-configuration: as orchestrator's, it runs on
// the node asked (never forwarded: each node reloads its own files), for
// users authorized to act, and answers "Config reloaded". A refused or
// failed reload is an ERROR naming why; nothing changed then. orchestrator's
// ?config=<extra file> is refused: the API does not read files a caller
// names.
func (s *Server) RegisterReload(rl Reloader) {
	s.HandleWrite("/api/reload-configuration", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorizedForAction(r) {
			respondError(w, "Unauthorized", nil)
			return
		}
		if extra := r.URL.Query().Get("config"); extra != "" {
			respondError(w, "reload-configuration: ?config="+extra+" refused: the API reads no file a caller names; reload re-reads the node's own --config files", nil)
			return
		}
		changed, err := rl.ReloadConfiguration(r.Context(), s.requestUser(r))
		if err != nil {
			respondError(w, err.Error(), map[string]any{"Changed": changed})
			return
		}
		respondOK(w, "Config reloaded", "")
	})
}
