//go:build unix

package safewrite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// errWouldBlock is what lockFile returns when another process holds the lock.
var errWouldBlock = syscall.EWOULDBLOCK

// lockFile takes an exclusive flock without waiting; the kernel drops it
// when the process dies.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// ownerKeeper returns a function that gives a replacement file the owner of
// fi, so that a root cron job does not hand a service's file to root.
func ownerKeeper(fi fs.FileInfo) func(*os.File) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return func(f *os.File) {
		_ = f.Chown(int(st.Uid), int(st.Gid)) // only root may give files away; keep going otherwise
	}
}

// syncDir makes a rename in dir durable: on Unix the new directory entry is
// only safe on disk once the directory itself is synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("cannot flush directory %s: %w", dir, err)
	}
	return nil
}
