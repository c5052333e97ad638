//go:build unix

package allowlist

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunHookOutputIsBounded: a hook that prints megabytes costs at most
// the last maxHookOutput bytes, which is where the error usually is.
func TestRunHookOutputIsBounded(t *testing.T) {
	out, err := runHook(context.Background(), `i=0; while [ $i -lt 3000 ]; do printf '%0100d\n' $i; i=$((i+1)); done; echo last line >&2; exit 3`, "f", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v", err)
	}
	if len(out) > maxHookOutput || !bytes.HasSuffix(out, []byte("last line\n")) {
		t.Errorf("kept %d bytes ending %q", len(out), out[max(0, len(out)-20):])
	}
}

// TestRunHookInterrupted: cancelling the context stops the hook and says
// so with the context's error (the caller maps it to 130 or 75).
func TestRunHookInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := runHook(ctx, "sleep 20", "f", time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
