package allowlist

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/reserved"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// CheckOptions are the settings of `allowlist check`.
type CheckOptions struct {
	Source
	Address string
	From    string // an allowlist file in any format; empty = ask the IRR
	JSON    bool
}

type checkResult struct {
	Address       string   `json:"address"`
	Covered       bool     `json:"covered"`
	Prefix        string   `json:"prefix,omitempty"`
	Registrations []string `json:"registrations,omitempty"`
	From          string   `json:"from"`
	Prefixes      int      `json:"prefixes"`
	// NotGlobal names the special-purpose block of an address that is not
	// global unicast; such an address is never covered.
	NotGlobal string `json:"notGlobal,omitempty"`
	// AdmittedBy is the prefix of the file that would admit it anyway.
	AdmittedBy string `json:"admittedBy,omitempty"`
}

// Check says whether an address is covered by the allowlist (exit 0) or not
// (exit 1), and by which prefix.
func Check(ctx context.Context, ios *iostreams.IO, o CheckOptions) error {
	addr, err := netip.ParseAddr(strings.TrimSpace(o.Address))
	if err != nil {
		if p, perr := netip.ParsePrefix(strings.TrimSpace(o.Address)); perr == nil {
			addr = p.Addr()
		} else {
			return usage("%q is not an IP address: give one such as 157.240.22.35 or 2a03:2880:f20c::1", o.Address)
		}
	}
	addr = addr.WithZone("").Unmap()
	res := checkResult{Address: addr.String()}
	var prefixes []netip.Prefix
	var c *collected
	if o.From != "" {
		data, err := os.ReadFile(o.From)
		if err != nil {
			return exit.Errorf(exit.Usage, "cannot read --list: %v", err)
		}
		prefixes = prefixset.Extract(data)
		if len(prefixes) == 0 {
			return exit.Errorf(exit.Usage, "%s holds no prefixes in CIDR notation: is it an allowlist file?", o.From)
		}
		res.From = o.From
	} else {
		fo, policy, err := o.Source.prepare(ios)
		if err != nil {
			return err
		}
		dctx, cancel := o.Source.withDeadline(ctx)
		defer cancel()
		c, err = collect(dctx, ios, &warner{ios: ios, rep: &Report{}}, o.Source, fo, policy, "")
		if err != nil {
			return pastDeadline(ctx, err, o.Deadline, "")
		}
		prefixes = prefixset.Aggregate(c.filtered.Prefixes)
		res.From = fmt.Sprintf("%s via %s (%s)", c.meta.ASN, c.meta.Server, c.answer.Mode)
	}
	res.Prefixes = len(prefixes)
	hit, notGlobal := reserved.Addr(addr)
	if p, ok := prefixset.Covering(prefixes, addr); ok {
		res.Covered, res.Prefix = true, p.String()
	}
	if notGlobal {
		// Loopback, private, link-local… space is never one of the AS's
		// addresses, whatever a file says: admitting it is the hole.
		res.NotGlobal = hit.String()
		if res.Covered {
			res.AdmittedBy, res.Covered, res.Prefix = res.Prefix, false, ""
		}
	}
	if c != nil {
		for _, r := range c.filtered.Accepted {
			if r.Prefix.Contains(addr) {
				reg := r.Prefix.String()
				if r.Source != "" {
					reg += fmt.Sprintf(" (%s, mnt-by %s)", termsafe.Line(r.Source), termsafe.Line(strings.Join(r.Maintainers, ",")))
				}
				res.Registrations = append(res.Registrations, reg)
			}
		}
	}
	if o.JSON {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if res.NotGlobal != "" {
		fmt.Fprintf(ios.Out, "%s is not covered: it is %s, not global unicast, so never one of the AS's addresses\n", res.Address, res.NotGlobal)
		if res.AdmittedBy != "" {
			ios.Warnf("%s's %s admits it: that prefix does not belong in an allowlist", res.From, res.AdmittedBy)
		}
	} else if res.Covered {
		fmt.Fprintf(ios.Out, "%s is covered by %s\n", res.Address, res.Prefix)
		for _, r := range res.Registrations {
			fmt.Fprintf(ios.Out, "  registered as %s\n", r)
		}
	} else {
		fmt.Fprintf(ios.Out, "%s is not covered by any of the %d prefixes from %s\n", res.Address, res.Prefixes, res.From)
	}
	if !res.Covered {
		return exit.Silent(exit.Failure)
	}
	return nil
}
