package api

import (
	"fmt"
	"os/user"
	"slices"
)

// userInPowerGroups is orchestrator's PowerAuthGroups check: the proxy
// user is a power user when one of its unix groups (looked up by name on
// this host) is listed. A user the host does not know is in no group; the
// failed lookup is logged, once per request, and refuses.
func (s *Server) userInPowerGroups(name string) bool {
	a := s.opts.Auth
	if name == "" || len(a.PowerAuthGroups) == 0 {
		return false
	}
	lookup := a.UserGroups
	if lookup == nil {
		lookup = osUserGroups
	}
	groups, err := lookup(name)
	if err != nil {
		s.log.Warn().Err(err).Msg("PowerAuthGroups: cannot read the user's groups; refused")
		return false
	}
	for _, g := range groups {
		if slices.Contains(a.PowerAuthGroups, g) {
			return true
		}
	}
	return false
}

// osUserGroups names the groups of a user of this host.
func osUserGroups(name string) ([]string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", name, err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("list groups of user %q: %w", name, err)
	}
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		g, err := user.LookupGroupId(id)
		if err != nil {
			continue // a gid without a name cannot match a listed name
		}
		names = append(names, g.Name)
	}
	return names, nil
}
