package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Reconnection delays of the LISTEN connection: doubling from the first to
// the last while the database stays unreachable.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 2 * time.Second
)

// ChangeSignal implements pome.Store's notifications. The first call starts the
// LISTEN loop, which runs until Close.
func (db *DB) ChangeSignal() <-chan struct{} {
	db.listenOnce.Do(func() {
		if db.closed.Load() {
			return
		}
		db.listening.Go(db.listen)
	})
	db.sigMu.Lock()
	defer db.sigMu.Unlock()
	return db.sig
}

// signal wakes whoever waits on the current channel.
func (db *DB) signal() {
	db.sigMu.Lock()
	close(db.sig)
	db.sig = make(chan struct{})
	db.sigMu.Unlock()
}

// listen holds one connection of its own (outside the pool: it waits for
// notifications all the time) with LISTEN on the change log's channel, and
// signals each notification. When the connection breaks it reconnects, and
// signals once listening again: notifications sent meanwhile are lost, and
// the followers must read the log to catch up.
func (db *DB) listen() {
	cfg := db.pool.Config().ConnConfig.Copy()
	delay := listenRetryMin
	for {
		if db.listenConn(cfg) {
			delay = listenRetryMin // it worked for a while: retry soon
		}
		// An unreachable database is reported by the followers' polls,
		// which keep running; nothing to log here.
		select {
		case <-db.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// listenIdle is how long the LISTEN connection may stay silent before it is
// pinged: a connection that died without a word (a dropped route, a
// restarted load balancer) is noticed and replaced.
const listenIdle = 15 * time.Second

// listenConn connects, listens, and relays notifications until the
// connection fails or the store closes. It reports whether it got as far as
// listening.
func (db *DB) listenConn(cfg *pgx.ConnConfig) (listened bool) {
	conn, err := pgx.ConnectConfig(db.ctx, cfg)
	if err != nil {
		return false
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	ctx, cancel := bound(db.ctx, callTimeout)
	_, err = conn.Exec(ctx, `LISTEN `+notifyChannel)
	cancel()
	if err != nil {
		return false
	}
	db.listenPID.Store(conn.PgConn().PID())
	db.signal() // listening (again): catch up on what may have been missed
	for db.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(db.ctx, listenIdle)
		_, err := conn.WaitForNotification(ctx)
		cancel()
		switch {
		case err == nil:
			db.signal()
		case db.ctx.Err() != nil:
		case pgconn.Timeout(err):
			// Silence: make sure the connection is still there.
			ctx, cancel := bound(db.ctx, callTimeout)
			err = conn.Ping(ctx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
	return true
}
