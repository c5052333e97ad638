// Package safewrite replaces a file so that readers only ever see the old or
// the new content, never a partial one, and takes a lock so that two runs
// of a cron job never write the same file at once.
package safewrite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Previous is what was at the path before a write.
type Previous struct {
	Exists bool
	Data   []byte
	Mode   fs.FileMode
}

// Read returns the current content and mode of path, if it exists.
func Read(path string) (Previous, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Previous{}, nil
	}
	if err != nil {
		return Previous{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Previous{}, err
	}
	return Previous{Exists: true, Data: data, Mode: fi.Mode().Perm()}, nil
}

// Write replaces path with data. Unless inPlace is set, it writes a
// temporary file in the same directory, fsyncs it, gives it the old file's
// mode (0644 for a new file) and owner when it can, renames it over path and
// fsyncs the directory, so a crash leaves either the old or the new file.
// inPlace rewrites the existing inode instead (truncate, write, fsync): not
// atomic, but it is the only way to update a file that is bind-mounted on
// its own into a container, where a rename is invisible or fails with EBUSY.
func Write(path string, data []byte, inPlace bool) error {
	// Replace what a symlink points to, not the link: setups that link
	// /etc/nginx/meta.conf to a managed location must keep working.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	mode := fs.FileMode(0o644)
	var keepOwner func(*os.File)
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		mode = fi.Mode().Perm()
		keepOwner = ownerKeeper(fi)
	} else if inPlace && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if inPlace {
		return writeInPlace(path, data, mode)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create a temporary file next to %s: %w", path, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if keepOwner != nil {
		keepOwner(tmp)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cannot flush %s to disk: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		if errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("cannot replace %s (busy: a single-file bind mount?): use --in-place: %w", path, err)
		}
		return fmt.Errorf("cannot replace %s: %w", path, err)
	}
	ok = true
	return syncDir(dir)
}

func writeInPlace(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot flush %s to disk: %w", path, err)
	}
	return f.Close()
}

// Restore puts prev back at path: the old content and mode, or no file at
// all if there was none.
func Restore(path string, prev Previous, inPlace bool) error {
	if !prev.Exists {
		err := os.Remove(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := Write(path, prev.Data, inPlace); err != nil {
		return err
	}
	return os.Chmod(path, prev.Mode)
}

// ErrLocked means another process holds the lock.
var ErrLocked = errors.New("locked")

// Lock takes an exclusive, non-blocking lock on path+".lock" (created if
// needed, left in place afterwards so the lock file never races its own
// removal). The lock dies with the process, so a killed run never leaves a
// stale lock behind.
func Lock(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open lock file %s: %w", name, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("cannot lock %s: %w", name, err)
	}
	return func() {
		_ = unlockFile(f)
		f.Close()
	}, nil
}
