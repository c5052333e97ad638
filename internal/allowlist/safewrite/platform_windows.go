//go:build windows

package safewrite

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// errWouldBlock is what lockFile returns when another process holds the lock.
var errWouldBlock = windows.ERROR_LOCK_VIOLATION

// lockFile takes an exclusive lock on the file's first byte without
// waiting; Windows drops it when the process dies.
func lockFile(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

// ownerKeeper: Windows files carry ACLs, not a Unix owner; a rename in the
// same directory keeps the directory's inherited permissions.
func ownerKeeper(fs.FileInfo) func(*os.File) { return nil }

// syncDir: NTFS makes the rename durable with the file's metadata, and a
// directory handle cannot be flushed; nothing to do.
func syncDir(string) error { return nil }
