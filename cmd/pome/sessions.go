package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// The sessions of `pome login` live in one file, sessions.json, in the
// user's config directory (os.UserConfigDir()/pome, e.g.
// ~/.config/pome), keyed by API URL: one can be signed in to several
// servers. The directory is 0700 and the file 0600: a session token is a
// password. POME_CONFIG_DIR names another directory (tests use it, and so
// may a CI job).

const sessionsFile = "sessions.json"

// storedSession is one server's session, as `pome login` stored it.
type storedSession struct {
	Token     string    `json:"token"`
	Email     string    `json:"email"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
}

type sessionStore struct {
	dir string
}

// configDir is the directory of the CLI's files. It reads the environment
// through getenv, as os.UserConfigDir does through os.Getenv, so that run
// never reaches the real user's home in tests.
func configDir(getenv env) (string, error) {
	if d := getenv("POME_CONFIG_DIR"); d != "" {
		return d, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("AppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Application Support")
		}
	case "plan9":
		if h := getenv("home"); h != "" {
			base = filepath.Join(h, "lib")
		}
	default: // Unix: the XDG base directory specification
		base = getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(base) {
			base = ""
			if h := getenv("HOME"); h != "" {
				base = filepath.Join(h, ".config")
			}
		}
	}
	if base == "" {
		return "", errors.New("cannot find a config directory for the session: set HOME (or POME_CONFIG_DIR)")
	}
	return filepath.Join(base, "pome"), nil
}

func openSessions(getenv env) (*sessionStore, error) {
	dir, err := configDir(getenv)
	if err != nil {
		return nil, err
	}
	return &sessionStore{dir: dir}, nil
}

func (s *sessionStore) path() string { return filepath.Join(s.dir, sessionsFile) }

// load reads every stored session; a missing file is none.
func (s *sessionStore) load() (map[string]storedSession, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]storedSession{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	var f struct {
		Sessions map[string]storedSession `json:"sessions"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read sessions: %s is damaged (delete it and run pome login): %w", s.path(), err)
	}
	if f.Sessions == nil {
		f.Sessions = map[string]storedSession{}
	}
	return f.Sessions, nil
}

// get returns the session stored for apiURL.
func (s *sessionStore) get(apiURL string) (storedSession, bool, error) {
	all, err := s.load()
	if err != nil {
		return storedSession{}, false, err
	}
	ss, ok := all[apiURL]
	return ss, ok && ss.Token != "", nil
}

// put stores the session of apiURL, replacing any.
func (s *sessionStore) put(apiURL string, ss storedSession) error {
	all, err := s.load()
	if err != nil {
		return err
	}
	all[apiURL] = ss
	return s.save(all)
}

// remove deletes the session of apiURL; it reports whether there was one.
func (s *sessionStore) remove(apiURL string) (bool, error) {
	all, err := s.load()
	if err != nil {
		return false, err
	}
	if _, ok := all[apiURL]; !ok {
		return false, nil
	}
	delete(all, apiURL)
	return true, s.save(all)
}

// save writes the file whole, through a temporary file renamed over it, so
// that a crash leaves the old file or the new one, never half of one.
func (s *sessionStore) save(all map[string]storedSession) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; the tokens are
	// for this user only.
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	b, err := json.MarshalIndent(struct {
		Sessions map[string]storedSession `json:"sessions"`
	}{all}, "", "  ")
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".sessions-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save session: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save session: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}
