package sqlite

import (
	"database/sql"

	"github.com/pomehq/pome"
)

// PoolStats is the state of the database's two pools, the single writer
// and the readers, for /metrics.
func (db *DB) PoolStats() []pome.PoolStats {
	return []pome.PoolStats{poolStats("writer", db.writer.Stats()), poolStats("reader", db.reader.Stats())}
}

func poolStats(name string, s sql.DBStats) pome.PoolStats {
	return pome.PoolStats{Name: name, InUse: s.InUse, Idle: s.Idle, Max: s.MaxOpenConnections,
		Waits: uint64(s.WaitCount), WaitDuration: s.WaitDuration}
}
