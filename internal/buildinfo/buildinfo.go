// Package buildinfo says which build of Pome is running: its version, the
// commit it was built from and when. A release stamps them with -ldflags
// (make release); a build from a module or a git checkout reads them from
// the build information the go command records.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Stamped by a release build:
//
//	go build -ldflags "-X github.com/pomehq/pome/internal/buildinfo.version=v1.2.0
//	  -X github.com/pomehq/pome/internal/buildinfo.commit=$(git rev-parse HEAD)
//	  -X github.com/pomehq/pome/internal/buildinfo.date=$(date -u +%FT%TZ)"
var version, commit, date string

// Info is the build of the running binary. A field that no source knows is
// "unknown" (Date, Commit) or "(devel)" (Version).
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	Modified  bool   `json:"modified"` // built from a tree with uncommitted changes
	GoVersion string `json:"go_version"`
}

// Read returns the build of the running binary: what -ldflags stamped,
// else what the go command recorded (the module version of `go install
// ...@v1.2.0`, the vcs.* settings of a build in a git checkout).
func Read() Info {
	info := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// String is the one line `pome version` prints.
func (i Info) String() string {
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if i.Modified {
		commit += "+dirty"
	}
	return "pome " + i.Version + " (commit " + commit + ", built " + i.Date + ", " + i.GoVersion + ")"
}
