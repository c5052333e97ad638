//go:build unix

package safewrite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestWriteAtomicKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "list.conf")
	if err := Write(path, []byte("one\n"), false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode = %v, want 0644", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	before := inode(t, path)
	if err := Write(path, []byte("two\n"), false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(data) != "two\n" || fi.Mode().Perm() != 0o640 {
		t.Errorf("content %q mode %v, want two, 0640", data, fi.Mode().Perm())
	}
	if inode(t, path) == before {
		t.Error("atomic write kept the inode: it should rename a new file over the old one")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestWriteInPlaceKeepsInode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.conf")
	if err := Write(path, []byte("a much longer first version\n"), false); err != nil {
		t.Fatal(err)
	}
	before := inode(t, path)
	if err := Write(path, []byte("short\n"), true); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "short\n" || inode(t, path) != before {
		t.Errorf("in-place: content %q, inode changed=%v", data, inode(t, path) != before)
	}
}

func TestWriteRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, []byte("x"), false); err == nil {
		t.Error("wrote over a directory")
	}
}

// TestReplaceRollback: a rollback gives back the old file itself (inode,
// mtime, mode, content) in both write modes, and removes a file that did
// not exist; nothing is left beside it.
func TestReplaceRollback(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "list.conf")
	prev, err := Read(path)
	if err != nil || prev.Exists {
		t.Fatalf("Read of a missing file = %+v, %v", prev, err)
	}
	r, err := Replace(path, []byte("new\n"), false, prev)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("rolling back 'no file' left a file")
	}
	for _, inPlace := range []bool{false, true} {
		if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour).Truncate(time.Second)
		os.Chtimes(path, old, old)
		prev, _ = Read(path)
		ino := inode(t, path)
		r, err := Replace(path, []byte("new\n"), inPlace, prev)
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); string(data) != "new\n" {
			t.Fatalf("in-place=%v: not written: %q", inPlace, data)
		}
		if err := r.Rollback(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if string(data) != "old\n" || fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(old) || inode(t, path) != ino {
			t.Errorf("in-place=%v: restored %q mode %v mtime %v (want %v) inode same=%v", inPlace, data, fi.Mode().Perm(), fi.ModTime(), old, inode(t, path) == ino)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("in-place=%v: files left beside it: %v", inPlace, ents)
		}
	}
	// A crashed run's leftovers go with the next replacement.
	for _, n := range []string{".list.conf.old-x", ".list.conf.tmp-123"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	prev, _ = Read(path)
	r, err = Replace(path, []byte("newer\n"), false, prev)
	if err != nil {
		t.Fatal(err)
	}
	r.Commit()
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after commit, files left beside it: %v", ents)
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.conf")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: err = %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := Lock(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "link.conf")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new\n"), false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(target); string(data) != "new\n" {
		t.Errorf("target = %q", data)
	}
}
