package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pomehq/pome/internal/node"
)

// newFlagSet returns a flag set that reports to stderr and whose --help
// prints usage (the command line, what it does, an example) and its flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nFlags (each also read from POME_<FLAG>, e.g. --data-dir from POME_DATA_DIR):")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags sets every flag from its environment variable, then from args,
// so that a flag on the command line wins over the environment. aliases
// names further variables read for a flag before its own POME_<FLAG>
// (POME_API_KEY for --token).
func parseFlags(fs *flag.FlagSet, args []string, getenv env, aliases map[string]string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		for _, name := range envNames(f.Name, aliases) {
			v := getenv(name)
			if v == "" {
				continue
			}
			// The value is not echoed: it may be a secret.
			if e := fs.Set(f.Name, v); e != nil {
				err = usagef("invalid value in %s for --%s", name, f.Name)
			}
			return
		}
	})
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package has printed the error and the usage.
		return &usageError{msg: err.Error(), quiet: true}
	}
	return nil
}

// envNames lists the variables read for flag name, first found wins.
func envNames(name string, aliases map[string]string) []string {
	own := "POME_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if a, ok := aliases[name]; ok {
		return []string{a, own}
	}
	return []string{own}
}

// noArgs fails if fs was left positional arguments it does not take.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// storageFlags are the flags that say where the database is, shared by serve
// and admin.
type storageFlags struct {
	dataDir     string
	databaseURL string
}

func (s *storageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "./pome-data", "directory of the embedded SQLite database (created if missing); not used with --database-url")
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
