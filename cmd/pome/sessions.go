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

// sessionsDoc is the file: the sessions by API URL, and the server of the
// last login, which commands talk to when given no --api-url (as gh's
// hosts file remembers its host).
type sessionsDoc struct {
	Current  string                   `json:"current,omitempty"`
	Sessions map[string]storedSession `json:"sessions"`
}

// load reads the file; a missing file holds no session.
func (s *sessionStore) load() (*sessionsDoc, error) {
	doc := &sessionsDoc{}
	b, err := os.ReadFile(s.path())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	if err == nil {
		if err := json.Unmarshal(b, doc); err != nil {
			return nil, fmt.Errorf("read sessions: %s is damaged (delete it and run pome login): %w", s.path(), err)
		}
	}
	if doc.Sessions == nil {
		doc.Sessions = map[string]storedSession{}
	}
	return doc, nil
}

// get returns the session stored for apiURL.
func (s *sessionStore) get(apiURL string) (storedSession, bool, error) {
	doc, err := s.load()
	if err != nil {
		return storedSession{}, false, err
	}
	ss, ok := doc.Sessions[apiURL]
	return ss, ok && ss.Token != "", nil
}

// current returns the server of the last login still signed in, or "".
func (s *sessionStore) current() (string, error) {
	doc, err := s.load()
	if err != nil {
		return "", err
	}
	return doc.Current, nil
}

// put stores the session of apiURL, replacing any, and makes apiURL the
// current server.
func (s *sessionStore) put(apiURL string, ss storedSession) error {
	doc, err := s.load()
	if err != nil {
		return err
	}
	doc.Sessions[apiURL] = ss
	doc.Current = apiURL
	return s.save(doc)
}

// remove deletes the session of apiURL, and forgets it as the current
// server; it reports whether there was one.
func (s *sessionStore) remove(apiURL string) (bool, error) {
	doc, err := s.load()
	if err != nil {
		return false, err
	}
	if _, ok := doc.Sessions[apiURL]; !ok {
		return false, nil
	}
	delete(doc.Sessions, apiURL)
	if doc.Current == apiURL {
		doc.Current = ""
	}
	return true, s.save(doc)
}

// save writes the file whole, through a temporary file renamed over it, so
// that a crash leaves the old file or the new one, never half of one.
func (s *sessionStore) save(doc *sessionsDoc) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; the tokens are
	// for this user only.
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
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
