package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

var _ actuators.CredentialsReader = (*DB)(nil)

// ReplicationCredentials runs query (ReplicationCredentialsQuery) on key:
// the first row's first column is the user, the second the password (NULL
// reads as empty). A query that returns no row or fewer than two columns
// is a Precondition error naming the key.
func (d *DB) ReplicationCredentials(ctx context.Context, key events.InstanceKey, query string) (actuators.Credentials, error) {
	const op = "read replication credentials"
	s, err := d.server(key)
	if err != nil {
		return actuators.Credentials{}, d.fail(op, key, err)
	}
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return actuators.Credentials{}, d.fail(op, key, fmt.Errorf("run ReplicationCredentialsQuery: %w", err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return actuators.Credentials{}, d.fail(op, key, err)
	}
	if len(cols) < 2 {
		return actuators.Credentials{}, precondition(op, key, "ReplicationCredentialsQuery returns %d column(s); it must return user and password first", len(cols))
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return actuators.Credentials{}, d.fail(op, key, err)
		}
		return actuators.Credentials{}, precondition(op, key, "ReplicationCredentialsQuery returned no row")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return actuators.Credentials{}, d.fail(op, key, errors.Join(errors.New("read the row of ReplicationCredentialsQuery"), err))
	}
	return actuators.Credentials{User: vals[0].String, Password: vals[1].String}, nil
}
