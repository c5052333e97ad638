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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Previous is what was at the path before a write.
type Previous struct {
	Exists  bool
	Data    []byte
	Mode    fs.FileMode
	ModTime time.Time
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
	return Previous{Exists: true, Data: data, Mode: fi.Mode().Perm(), ModTime: fi.ModTime()}, nil
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

// Replacement is a write that can still be taken back: until Commit, the
// old file itself (its inode, mtime, owner and mode) is kept aside as a
// hard link, and Rollback renames it back, so a consumer that watches the
// inode or the mtime sees nothing happened.
type Replacement struct {
	path    string // the real path (symlinks resolved)
	prev    Previous
	inPlace bool
	backup  string // hard link to the old inode; "" when none could be made
}

// Replace writes data to path like Write, keeping what was there for
// Rollback.
func Replace(path string, data []byte, inPlace bool, prev Previous) (*Replacement, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	r := &Replacement{path: path, prev: prev, inPlace: inPlace}
	removeLeftovers(path)
	if prev.Exists && !inPlace {
		r.backup = linkAside(path)
	}
	if err := Write(path, data, inPlace); err != nil {
		r.dropBackup()
		return nil, err
	}
	return r, nil
}

// removeLeftovers deletes the temporary files and kept-aside links a run
// that crashed left beside path. Callers hold path's lock, so no other
// run is using them.
func removeLeftovers(path string) {
	dir, base := filepath.Split(path)
	for _, pattern := range []string{"." + base + ".old-*", "." + base + ".tmp-*"} {
		names, _ := filepath.Glob(filepath.Join(dir, globEscape(pattern)))
		for _, n := range names {
			os.Remove(n)
		}
	}
}

// globEscape protects a file name's own glob characters, leaving the final
// "*" of the pattern.
func globEscape(pattern string) string {
	stem := strings.TrimSuffix(pattern, "*")
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(stem) + "*"
}

// linkAside makes a hard link to path under a fresh hidden name in the
// same directory; "" if the file system cannot (Rollback then rewrites the
// old content and mtime instead).
func linkAside(path string) string {
	dir, base := filepath.Split(path)
	for i := 0; i < 5; i++ {
		name := filepath.Join(dir, "."+base+".old-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		err := os.Link(path, name)
		if err == nil {
			return name
		}
		if !errors.Is(err, fs.ErrExist) {
			return ""
		}
	}
	return ""
}

func (r *Replacement) dropBackup() {
	if r.backup != "" {
		os.Remove(r.backup)
		r.backup = ""
	}
}

// Commit forgets the old file.
func (r *Replacement) Commit() { r.dropBackup() }

// Rollback puts the old file back: the very same inode when it was kept
// aside, otherwise the old content, mode and mtime in place; a file that
// did not exist is removed.
func (r *Replacement) Rollback() error {
	if !r.prev.Exists {
		err := os.Remove(r.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if r.backup != "" {
		if err := os.Rename(r.backup, r.path); err != nil {
			r.dropBackup()
			return fmt.Errorf("cannot put the old %s back: %w", r.path, err)
		}
		r.backup = ""
		return syncDir(filepath.Dir(r.path))
	}
	if err := Write(r.path, r.prev.Data, r.inPlace); err != nil {
		return err
	}
	if err := os.Chmod(r.path, r.prev.Mode); err != nil {
		return err
	}
	return os.Chtimes(r.path, time.Time{}, r.prev.ModTime)
}

// ErrLocked means another process holds the lock; the error is a
// *LockedError.
var ErrLocked = errors.New("locked")

// LockedError says who holds the lock.
type LockedError struct {
	Name string // the lock file
	PID  int    // the holder's process id, 0 if unknown
}

func (e *LockedError) Error() string { return e.Name + " is locked" + e.Holder() }

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Holder is " (process 1234)", or "" when the lock file does not say.
func (e *LockedError) Holder() string {
	if e.PID <= 0 {
		return ""
	}
	return " (process " + strconv.Itoa(e.PID) + ")"
}

// Lock takes an exclusive, non-blocking lock on path+".lock" (created if
// needed, left in place afterwards so the lock file never races its own
// removal) and writes the process id into it for the message another run
// prints. The lock dies with the process, so a killed run never leaves a
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
			return nil, &LockedError{Name: name, PID: readPID(name)}
		}
		return nil, fmt.Errorf("cannot lock %s: %w", name, err)
	}
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = unlockFile(f)
		f.Close()
	}, nil
}

func readPID(name string) int {
	f, err := os.Open(name)
	if err != nil {
		return 0
	}
	defer f.Close()
	b := make([]byte, 16)
	n, _ := f.Read(b)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}
