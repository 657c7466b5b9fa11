package projections

// ClusterFilters is a compiled list of orchestrator cluster filters
// (RecoverMasterClusterFilters and the like): exact cluster name, exact
// alias, "alias=NAME", "alias~=REGEX", "*", or a regular expression on the
// cluster name. The zero value matches nothing. It is immutable.
type ClusterFilters struct{ f []clusterFilter }

// CompileClusterFilters compiles filters; an invalid expression is an
// error wrapping ErrInvalidSettings.
func CompileClusterFilters(filters []string) (ClusterFilters, error) {
	f, err := compileClusterFilters(filters)
	if err != nil {
		return ClusterFilters{}, err
	}
	return ClusterFilters{f: f}, nil
}

// Match reports whether the cluster with the given name and alias matches
// any of the filters (the rule behind ClusterInfo.HasAutomated*Recovery).
func (c ClusterFilters) Match(name, alias string) bool { return matchClusterFilters(c.f, name, alias) }
