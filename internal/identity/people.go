package identity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// person is one user of a body, with every identifier any part of the
// body gives them. What the body does not give is derived, the same way
// every time, so one phone number always gets the same BSUID and the
// other way round, in every body and every run.
type person struct {
	phone, bsuid, parent, username, name string
}

// people are the users of one body.
type people struct{ list []*person }

// add records one reference to a user; references sharing a phone number
// or a BSUID are the same user.
func (ps *people) add(phone, bsuid, parent string) *person {
	if phone == "" && bsuid == "" {
		return nil
	}
	p := ps.find(phone, bsuid)
	if p == nil {
		p = &person{}
		ps.list = append(ps.list, p)
	}
	if p.phone == "" {
		p.phone = phone
	}
	if p.bsuid == "" {
		p.bsuid = bsuid
	}
	if p.parent == "" {
		p.parent = parent
	}
	return p
}

func (ps *people) find(phone, bsuid string) *person {
	for _, p := range ps.list {
		if (phone != "" && p.phone == phone) || (bsuid != "" && p.bsuid == bsuid) {
			return p
		}
	}
	return nil
}

// complete derives what nobody sent: a BSUID for a phone number, a
// phone number for a BSUID, a username from the profile name.
func (ps *people) complete() {
	for _, p := range ps.list {
		if p.bsuid == "" {
			p.bsuid = bsuidFor(p.phone)
		}
		if p.phone == "" {
			p.phone = phoneFor(p.bsuid)
		}
		if p.username == "" {
			p.username = usernameFor(p.name, p.bsuid)
		}
	}
}

func digest(kind, s string) uint64 {
	h := sha256.Sum256([]byte("wa-hooks identity " + kind + "\x00" + s))
	return binary.BigEndian.Uint64(h[:8])
}

// bsuidFor makes a BSUID in Meta's form: the user's country, a dot, digits.
func bsuidFor(phone string) string {
	return fmt.Sprintf("%s.%020d", countryOf(phone), digest("bsuid", phone))
}

// phoneFor makes a phone number for a user the body knows by BSUID only:
// +1 555 numbers are reserved for fiction, so none is anyone's.
func phoneFor(bsuid string) string {
	return fmt.Sprintf("1555%07d", digest("phone", bsuid)%10_000_000)
}

// usernameFor makes a username from a profile name ("Camila Reyes" →
// camila.reyes), or from the BSUID when there is no usable name.
func usernameFor(name, bsuid string) string {
	var words []string
	for _, w := range strings.Fields(strings.ToLower(name)) {
		var b strings.Builder
		for _, r := range w {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			words = append(words, b.String())
		}
	}
	if len(words) == 0 {
		return fmt.Sprintf("user.%06d", digest("username", bsuid)%1_000_000)
	}
	u := strings.Join(words, ".")
	if len(u) > 30 {
		u = strings.TrimRight(u[:30], ".")
	}
	return u
}

// callingCodes maps the commonest country calling codes to ISO 3166
// alpha-2, for BSUIDs that start like the phone number's country.
var callingCodes = []struct{ code, country string }{
	{"1", "US"}, {"7", "RU"}, {"20", "EG"}, {"27", "ZA"}, {"30", "GR"}, {"31", "NL"}, {"32", "BE"},
	{"33", "FR"}, {"34", "ES"}, {"39", "IT"}, {"40", "RO"}, {"41", "CH"}, {"44", "GB"}, {"46", "SE"},
	{"48", "PL"}, {"49", "DE"}, {"51", "PE"}, {"52", "MX"}, {"54", "AR"}, {"55", "BR"}, {"56", "CL"},
	{"57", "CO"}, {"60", "MY"}, {"61", "AU"}, {"62", "ID"}, {"63", "PH"}, {"65", "SG"}, {"66", "TH"},
	{"81", "JP"}, {"82", "KR"}, {"84", "VN"}, {"90", "TR"}, {"91", "IN"}, {"92", "PK"}, {"234", "NG"},
	{"254", "KE"}, {"351", "PT"}, {"353", "IE"}, {"880", "BD"}, {"966", "SA"}, {"971", "AE"}, {"972", "IL"},
}

func countryOf(phone string) string {
	best := ""
	country := "US"
	for _, c := range callingCodes {
		if strings.HasPrefix(phone, c.code) && len(c.code) > len(best) {
			best, country = c.code, c.country
		}
	}
	return country
}
