package postgres

import "github.com/pomehq/pome"

// PoolStats is the state of the connection pool, for /metrics: a wait is
// an acquire that found no idle connection.
func (db *DB) PoolStats() []pome.PoolStats {
	s := db.pool.Stat()
	return []pome.PoolStats{{Name: "main", InUse: int(s.AcquiredConns()), Idle: int(s.IdleConns()), Max: int(s.MaxConns()),
		Waits: uint64(s.EmptyAcquireCount()), WaitDuration: s.EmptyAcquireWaitTime()}}
}
