package allowlist

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/exit"
)

// spaceCap bounds the addresses one family of the list may cover. Meta's
// AS32934 covers about half a million IPv4 addresses and a dozen /32s of
// IPv6: a list far larger than that was poisoned, whatever the registry
// says, and it is refused even on the first run (no file to compare with)
// and even with --force.
type spaceCap struct {
	fam   string // "IPv4", "IPv6"
	flag  string // "--max-space-v4"
	given string // as the user wrote it
	max   *big.Int
}

type spaceCaps []spaceCap

func (o Options) spaceCaps() (spaceCaps, error) {
	var caps spaceCaps
	for _, f := range []struct {
		fam, flag, val string
		bits           int
	}{{"IPv4", "--max-space-v4", o.MaxSpaceV4, 32}, {"IPv6", "--max-space-v6", o.MaxSpaceV6, 128}} {
		n, err := parseSpace(f.val, f.bits)
		if err != nil {
			return nil, fmt.Errorf("bad %s %q: %v", f.flag, f.val, err)
		}
		if n != nil {
			caps = append(caps, spaceCap{f.fam, f.flag, strings.TrimSpace(f.val), n})
		}
	}
	return caps, nil
}

// parseSpace reads "/10" (as many addresses as a /10), a plain count, or
// "0"/"" (no cap: nil).
func parseSpace(s string, bits int) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(s, "/"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || n > bits {
			return nil, fmt.Errorf("give /N with N from 0 to %d (as many addresses as one /N), a number of addresses, or 0 for no cap", bits)
		}
		return new(big.Int).Lsh(big.NewInt(1), uint(bits-n)), nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("give /N (as many addresses as one /N), a number of addresses, or 0 for no cap")
	}
	return n, nil
}

// check refuses a list over a cap.
func (caps spaceCaps) check(ps []netip.Prefix, kept string) error {
	v4, v6 := prefixset.Split(ps)
	for _, c := range caps {
		fam := v4
		if c.fam == "IPv6" {
			fam = v6
		}
		if n := prefixset.Size(fam); n.Cmp(c.max) > 0 {
			return exit.Errorf(exit.AllowlistGuard, "refused: the list covers %s %s addresses, more than %s %s (%s) allows: poisoned or broken%s; raise the cap only if the AS really grew",
				n, c.fam, c.flag, c.given, c.max, keptNote(kept))
		}
	}
	return nil
}
