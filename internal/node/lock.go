package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errLocked is lockFile's answer when another process holds the lock.
var errLocked = errors.New("locked")

// Lock takes the data directory of s for this process (making the
// directory, with Create) until unlock: two `pome serve` on one SQLite
// file would each cache keys, and learn of the other's revocations only at
// their next poll of the change log. It is a lock on DIR/pome.lock, which
// names the pid of its holder, not SQLite's: `pome admin` takes none and
// writes while a server runs. It takes nothing on PostgreSQL, which any
// number of nodes share.
func (s Storage) Lock() (unlock func() error, err error) {
	if s.DatabaseURL != "" {
		return func() error { return nil }, nil
	}
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.DataDir, "pome.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data dir: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			pid := "unknown"
			if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
				pid = strings.TrimSpace(string(b))
			}
			return nil, fmt.Errorf("another pome serve is using %s (pid %s)", s.DataDir, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err = f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f.Close, nil // the lock goes with the file's descriptor
}
