package pome

import "time"

// PoolStats is the state of one of a store's pools of database
// connections, for /metrics (pome_db_pool_*): a store keeps one pool or
// more, each named ("main"; SQLite's "writer" and "reader").
type PoolStats struct {
	Name  string
	InUse int // connections lent out now
	Idle  int // connections open and waiting for a caller
	Max   int // the most the pool opens
	// Waits counts the calls that found no connection free and waited for
	// one, and WaitDuration the time they waited, since the pool opened.
	Waits        uint64
	WaitDuration time.Duration
}
