package exit

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, OK},
		{errors.New("plain"), Failure},
		{New(Usage, errors.New("bad flag")), Usage},
		{fmt.Errorf("wrapped: %w", Errorf(TempFail, "radb down")), TempFail},
		{Silent(VerifyFail), VerifyFail},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestTableHasEveryCodeOnce(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range Table {
		if seen[c.Code] {
			t.Errorf("code %d documented twice", c.Code)
		}
		seen[c.Code] = true
		if c.Meaning == "" || c.Command == "" {
			t.Errorf("code %d lacks a meaning or command", c.Code)
		}
	}
	for _, code := range []int{OK, Failure, Usage, SendFailed, Unreachable, VerifyFail, AllowlistGuard, AllowlistCheck, AllowlistHook, AllowlistChanged, AllowlistLocked, TempFail, Interrupted} {
		if !seen[code] {
			t.Errorf("code %d is not documented in Table", code)
		}
	}
}

func TestForListsSharedAndOwnCodes(t *testing.T) {
	codes := func(cmd string) map[int]bool {
		m := map[int]bool{}
		for _, c := range For(cmd) {
			m[c.Code] = true
		}
		return m
	}
	send := codes("send")
	for _, want := range []int{OK, Failure, Usage, SendFailed, Unreachable, Interrupted} {
		if !send[want] {
			t.Errorf("send lacks code %d", want)
		}
	}
	if send[VerifyFail] || send[AllowlistGuard] {
		t.Errorf("send lists another command's codes: %v", send)
	}
	if check := codes("allowlist check"); !check[AllowlistGuard] || check[SendFailed] {
		t.Errorf("allowlist check: %v", check)
	}
}
