package node

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks a byte of f far past the pid it holds (a locked range
// cannot be read by others on Windows), or fails at once with errLocked.
// The lock goes when f is closed or its holder dies.
func lockFile(f *os.File) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
		&windows.Overlapped{Offset: 1 << 20})
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}
