package postgres

// ListenPID is the server process id of the LISTEN connection, 0 before it
// first connects: tests end it to see the store reconnect.
func (db *DB) ListenPID() uint32 { return db.listenPID.Load() }
