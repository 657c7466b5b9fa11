package actuators

import (
	"context"

	"github.com/regent-ha/regent/events"
)

// CredentialsReader runs orchestrator's ReplicationCredentialsQuery on a
// server: the first row's first column is the replication user, the second
// its password (orchestrator's third to fifth columns, TLS files, are not
// used).
type CredentialsReader interface {
	ReplicationCredentials(ctx context.Context, key events.InstanceKey, query string) (Credentials, error)
}

// readCredentialsStep names the step that runs ReplicationCredentialsQuery.
const readCredentialsStep = "read-replication-credentials"

// replicationCredentials are the credentials the demoted primary of a
// takeover replicates with. As orchestrator, with ReplicationCredentialsQuery
// set they are read from the designated replica before the old primary is
// demoted (the step read-replication-credentials, naming the user, never
// the password); a failing query or an empty user is recorded as skipped
// and the takeover goes on with Policy.Credentials (ReplicationUser, or
// nil: what the server has).
func (x *executor) replicationCredentials(ctx context.Context, s events.InstanceKey) (*Credentials, error) {
	if x.policy.CredentialsQuery == "" || x.creds == nil {
		return x.policy.Credentials, nil
	}
	fallback := "keeping the demoted primary's own credentials"
	if x.policy.Credentials != nil {
		fallback = "using ReplicationUser " + x.policy.Credentials.User
	}
	creds := x.policy.Credentials
	err := x.rec.step(ctx, readCredentialsStep, s, func(ctx context.Context) (bool, string, error) {
		var got Credentials
		err := bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
			var err error
			got, err = x.creds.ReplicationCredentials(ctx, s, x.policy.CredentialsQuery)
			return err
		})
		switch {
		case err != nil:
			return false, "ReplicationCredentialsQuery failed: " + err.Error() + "; " + fallback, nil
		case got.User == "":
			return false, "ReplicationCredentialsQuery returned no user; " + fallback, nil
		}
		creds = &got
		return true, "replication user " + got.User, nil
	})
	return creds, err
}
