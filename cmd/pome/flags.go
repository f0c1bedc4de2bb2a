package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/pomehq/pome/internal/node"
)

// storageFlags are the flags that say where the database is, shared by serve
// and admin.
type storageFlags struct {
	dataDir     string
	databaseURL string
}

func (s *storageFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "./pome-data", "directory of the embedded SQLite database (serve and admin user create make it if missing); not used with --database-url")
	fs.StringVar(&s.databaseURL, "database-url", "", "PostgreSQL `URL` (postgres://user:pass@host:5432/db?sslmode=...): run on PostgreSQL instead of SQLite, as every node of a multi-node deployment must")
}

// check refuses a database URL that is not PostgreSQL's, rather than
// silently running on SQLite when the operator asked for something else.
func (s *storageFlags) check() error {
	if s.databaseURL != "" {
		if !strings.HasPrefix(s.databaseURL, "postgres://") && !strings.HasPrefix(s.databaseURL, "postgresql://") {
			// The value is not echoed: it may hold a password.
			return usagef("--database-url (POME_DATABASE_URL) must be a postgres:// or postgresql:// URL")
		}
		return nil
	}
	if s.dataDir == "" {
		return usagef("--data-dir must not be empty")
	}
	return nil
}

// storage is where the flags say the database is; create makes a missing
// SQLite database (serve, admin user create) rather than refusing it.
func (s storageFlags) storage(create bool) node.Storage {
	return node.Storage{DatabaseURL: s.databaseURL, DataDir: s.dataDir, Create: create}
}
