package mysqlconn

import (
	"strconv"
	"strings"
)

// Flavors, as orchestrator names them (the Flavor field of observations
// and of actuators.Status).
const (
	FlavorMySQL   = "MySQL"
	FlavorMariaDB = "MariaDB"
	FlavorPercona = "Percona"
)

// VersionSQL reads what picks a server's flavor and version.
const VersionSQL = "SELECT @@version AS version, @@version_comment AS version_comment"

// Version is the leading major.minor.patch of @@version.
type Version struct{ Major, Minor, Patch int }

// ParseVersion reads the leading "a.b.c" of @@version ("10.11.6-MariaDB-log",
// "5.7.28-log", "8.0.36-28"); what does not parse reads as 0.
func ParseVersion(s string) Version {
	var v Version
	parts := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < 3 && s != ""; i++ {
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		*parts[i], _ = strconv.Atoi(s[:j])
		if j >= len(s) || s[j] != '.' {
			break
		}
		s = s[j+1:]
	}
	return v
}

// AtLeast reports whether v ≥ major.minor.patch.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// Short is "8.0" for messages.
func (v Version) Short() string { return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) }

func (v Version) String() string { return v.Short() + "." + strconv.Itoa(v.Patch) }

// DetectFlavor names the server's flavor from @@version and
// @@version_comment.
func DetectFlavor(version, versionComment string) string {
	switch {
	case strings.Contains(strings.ToLower(version), "mariadb"):
		return FlavorMariaDB
	case strings.Contains(strings.ToLower(versionComment), "percona"):
		return FlavorPercona
	}
	return FlavorMySQL
}

// Server is a server's flavor and version: what picks its statements.
type Server struct {
	Flavor  string // FlavorMySQL, FlavorMariaDB, FlavorPercona
	Version Version
}

// ParseServer reads @@version and @@version_comment.
func ParseServer(version, versionComment string) Server {
	return Server{Flavor: DetectFlavor(version, versionComment), Version: ParseVersion(version)}
}

// MariaDB reports whether the server is MariaDB (Percona Server is MySQL).
func (s Server) MariaDB() bool { return s.Flavor == FlavorMariaDB }

// String is "MySQL 8.0.36".
func (s Server) String() string { return s.Flavor + " " + s.Version.String() }
