package recording

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The same on a real file: a child process whose file size limit
// (RLIMIT_FSIZE) makes write(2) stop part-way, as a full disk does.
func TestFileSizeLimitCutsBackTornWrite(t *testing.T) {
	if path := os.Getenv("RECORDING_FSIZE_CHILD"); path != "" {
		fsizeChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileSizeLimitCutsBackTornWrite$")
	cmd.Env = append(os.Environ(), "RECORDING_FSIZE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	written := -1
	for _, l := range strings.Split(string(out), "\n") {
		if n, ok := strings.CutPrefix(l, "written "); ok {
			written, _ = strconv.Atoi(n)
		}
	}
	if written < 1 {
		t.Fatalf("child wrote nothing it reported:\n%s", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, data); len(got) != written {
		t.Fatalf("%d records readable, %d reported written:\n%s", len(got), written, out)
	}
}

func fsizeChild(path string) {
	// The Go runtime ignores SIGXFSZ: a write past the limit fails with EFBIG.
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fmt.Println("getrlimit:", err)
		os.Exit(1)
	}
	r, err := Open(path, false)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1000, Max: old.Max})
	written, failed := 0, false
	for i := 1; i <= 100 && !failed; i++ {
		if err := r.Write(rec(uint64(i))); err != nil {
			fmt.Println("write failed:", err)
			failed = true
		} else {
			written++
		}
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	if !failed {
		fmt.Println("the size limit never stopped a write")
		os.Exit(1)
	}
	if err := r.Write(rec(1000)); err != nil { // room again
		fmt.Println("after the limit was lifted:", err)
		os.Exit(1)
	}
	written++
	if err := r.Close(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("written %d\n", written)
}
