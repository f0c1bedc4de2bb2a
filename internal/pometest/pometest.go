// Package pometest is the test harness of Pome: a temporary SQLite store, a
// fake clock, a store that counts its calls, a log in memory, and the real
// HTTP handler wired as cmd/pome wires it, served on loopback.
package pometest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
)

// NewStore opens a fresh SQLite store in a temporary directory, closed when
// the test ends.
func NewStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "pome.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Event is an audit event of action by the system actor: the record a test
// hands to a state-changing Store method when it seeds straight through the
// store.
func Event(action string) pome.AuditEvent {
	ev := pome.NewAuditEvent(context.Background(), action, time.Now())
	ev.ActorType = pome.ActorSystem
	return ev
}
