package identity_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// cell is one cell of the docs' table: the identifiers a kind keeps.
type cell struct {
	required map[string]bool
	optional map[string]bool
}

// table is docs/identity.md's table: kind → identity → cell.
type table map[string]map[identity.Identity]cell

func readTable(t *testing.T) table {
	t.Helper()
	f, err := os.Open("../../docs/identity.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab := table{}
	in := false
	var ids []identity.Identity
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "<!-- identity-table"):
			in = true
			continue
		case strings.HasPrefix(line, "<!-- end identity-table"):
			in = false
		}
		if !in || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "kind" {
			for _, c := range cells[1:] {
				id, err := identity.Parse(strings.Trim(c, "`"))
				if err != nil {
					t.Fatalf("table header: %v", err)
				}
				ids = append(ids, id)
			}
			continue
		}
		if len(cells) != len(ids)+1 {
			t.Fatalf("table row %q has %d cells, want %d", cells[0], len(cells), len(ids)+1)
		}
		row := map[identity.Identity]cell{}
		for i, id := range ids {
			c := cell{required: map[string]bool{}, optional: map[string]bool{}}
			if cells[i+1] != "—" {
				for _, part := range strings.Split(cells[i+1], ",") {
					name := strings.Trim(strings.TrimSpace(part), "`")
					if n, ok := strings.CutSuffix(name, "?"); ok {
						c.optional[n] = true
					} else {
						c.required[name] = true
					}
				}
			}
			row[id] = c
		}
		tab[cells[0]] = row
	}
	if len(ids) != 4 || len(tab) < 10 {
		t.Fatalf("read %d identities and %d kinds from docs/identity.md: is the table still between its markers?", len(ids), len(tab))
	}
	return tab
}

// universe is every identifier a kind's row names, in any identity.
func (tab table) universe(kind string) map[string]bool {
	u := map[string]bool{}
	for _, c := range tab[kind] {
		for k := range c.required {
			u[k] = true
		}
		for k := range c.optional {
			u[k] = true
		}
	}
	return u
}

type doc = map[string]any

func decode(t *testing.T, b []byte) doc {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v doc
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) doc {
	m, _ := v.(doc)
	return m
}

func str(m doc, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// found is one item the table has a row for.
type found struct {
	kind string
	// fields are the row's identifiers present on the item.
	fields map[string]bool
	// user is the item's user as contacts name them (user_id, else wa_id).
	user string
}

var parentKeys = []string{"from_parent_user_id", "recipient_parent_user_id", "to_parent_user_id", "parent_user_id", "recipient_participant_parent_user_id"}

// classify finds the items of one value, as the table's kinds describe them.
func classify(tab table, field string, v doc) []found {
	var out []found
	business := str(obj(v["metadata"]), "display_phone_number")
	add := func(kind string, m doc, userKeys ...string) {
		f := found{kind: kind, fields: map[string]bool{}}
		for k := range tab.universe(kind) {
			if strings.HasPrefix(k, "contacts.") {
				continue
			}
			if strings.Contains(k, ".") {
				parent, child, _ := strings.Cut(k, ".")
				if _, ok := obj(m[parent])[child]; ok {
					f.fields[k] = true
				}
				continue
			}
			if _, ok := m[k]; ok {
				f.fields[k] = true
			}
		}
		for _, k := range userKeys {
			if u := str(m, k); u != "" {
				f.user = u
				break
			}
		}
		out = append(out, f)
	}
	switch field {
	case "messages", "standby":
		for _, it := range list(v["messages"]) {
			m := obj(it)
			if str(m, "type") == "system" {
				add("system message", m)
			} else {
				add("message", m, "from_user_id", "from")
			}
		}
		for _, it := range list(v["statuses"]) {
			s := obj(it)
			switch st := str(s, "status"); {
			case str(s, "recipient_type") == "group":
				add("group status", s)
			case st == "failed":
				add("status failed", s, "recipient_user_id", "recipient_id")
			case st == "delivered" || st == "read":
				add("status delivered, read", s, "recipient_user_id", "recipient_id")
			default:
				add("status sent, played", s, "recipient_user_id", "recipient_id")
			}
		}
	case "calls":
		for _, it := range list(v["calls"]) {
			add("call", obj(it), "from_user_id", "from")
		}
		for _, it := range list(v["statuses"]) {
			add("call status", obj(it), "recipient_user_id", "recipient_id")
		}
	case "smb_message_echoes", "message_echoes":
		for _, it := range list(v["message_echoes"]) {
			add("echo", obj(it))
		}
	case "history":
		msg := func(m doc) {
			if str(m, "from") == business {
				add("history message from the business", m)
			} else {
				add("history message from the user", m)
			}
		}
		for _, ch := range list(v["history"]) {
			for _, th := range list(obj(ch)["threads"]) {
				for _, m := range list(obj(th)["messages"]) {
					msg(obj(m))
				}
			}
		}
		for _, m := range list(v["messages"]) {
			msg(obj(m))
		}
	case "user_preferences", "consumer_profile":
		for _, it := range list(v[field]) {
			add("user preference, profile change", obj(it), "user_id", "wa_id")
		}
	case "user_id_update":
		for _, it := range list(v["user_id_update"]) {
			m := obj(it)
			add("user ID update", m, "wa_id")
			if str(m, "wa_id") == "" {
				out[len(out)-1].user = str(obj(m["user_id"]), "current")
			}
		}
	case "messaging_handovers":
		add("handover", v)
	case "group_lifecycle_update", "group_participants_update", "group_settings_update", "group_status_update":
		for _, g := range list(v["groups"]) {
			for _, key := range []string{"added_participants", "removed_participants"} {
				for _, p := range list(obj(g)[key]) {
					add("group participant", obj(p))
				}
			}
		}
	}
	return out
}

// contactFields are the contacts.* identifiers of one contact.
func contactFields(c doc) map[string]bool {
	out := map[string]bool{}
	for _, k := range []string{"wa_id", "user_id"} {
		if _, ok := c[k]; ok {
			out["contacts."+k] = true
		}
	}
	if _, ok := obj(c["profile"])["username"]; ok {
		out["contacts.username"] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTableOverTheCatalog rewrites every fixture with every identity and
// holds the result to docs/identity.md's table: each item keeps exactly
// the identifiers its row names, each user's contact carries exactly the
// contacts.* identifiers of their items' rows (none when no row has any),
// management fields come back unchanged, and the body still parses into
// the same events, every message with a sender.
func TestTableOverTheCatalog(t *testing.T) {
	tab := readTable(t)
	used := map[string]bool{}
	for _, f := range fixtures.All() {
		for _, id := range identity.All() {
			t.Run(f.Name+"/"+string(id), func(t *testing.T) {
				out, err := identity.Rewrite(f.Body, id)
				if err != nil {
					t.Fatal(err)
				}
				checkParses(t, f, out)
				again, err := identity.Rewrite(out, id)
				if err != nil || !bytes.Equal(again, out) {
					t.Errorf("rewriting twice changes the body again (err %v)", err)
				}
				orig, got := decode(t, f.Body), decode(t, out)
				entries := list(got["entry"])
				origEntries := list(orig["entry"])
				for ei, e := range entries {
					for ci, c := range list(obj(e)["changes"]) {
						field := str(obj(c), "field")
						v := obj(obj(c)["value"])
						origValue := obj(obj(list(obj(origEntries[ei])["changes"])[ci])["value"])
						checkValue(t, tab, id, field, v, origValue, used)
					}
				}
			})
		}
	}
	for kind := range tab {
		if !used[kind] {
			t.Errorf("the table's kind %q matched no item of the catalog: the test cannot hold it", kind)
		}
	}
}

func checkValue(t *testing.T, tab table, id identity.Identity, field string, v, origValue doc, used map[string]bool) {
	t.Helper()
	items := classify(tab, field, v)
	if len(items) == 0 && len(list(v["contacts"])) == 0 {
		if !reflect.DeepEqual(v, origValue) {
			t.Errorf("%s names no user but its value changed", field)
		}
		used["management fields"] = used["management fields"] || !strings.Contains(field, "messages")
		return
	}
	wantContact := map[string]map[string]bool{}
	for _, it := range items {
		used[it.kind] = true
		c := tab[it.kind][id]
		for k := range tab.universe(it.kind) {
			if strings.HasPrefix(k, "contacts.") {
				continue
			}
			switch {
			case c.required[k] && !it.fields[k]:
				t.Errorf("%s: %s is missing (the table says %s keeps it)", it.kind, k, id)
			case !c.required[k] && !c.optional[k] && it.fields[k]:
				t.Errorf("%s: %s is present (the table says %s leaves it out)", it.kind, k, id)
			}
		}
		if it.user == "" {
			continue
		}
		if wantContact[it.user] == nil {
			wantContact[it.user] = map[string]bool{}
		}
		for k := range c.required {
			if strings.HasPrefix(k, "contacts.") {
				wantContact[it.user][k] = true
			}
		}
	}
	for _, ct := range list(v["contacts"]) {
		c := obj(ct)
		user := str(c, "user_id")
		if _, ok := wantContact[user]; !ok || user == "" {
			user = str(c, "wa_id")
		}
		want, named := wantContact[user]
		if !named {
			used["contact beside other items"] = true
			want = tab["contact beside other items"][id].required
		}
		if got := contactFields(c); !slices.Equal(keys(got), keys(want)) {
			t.Errorf("contact of %s carries %v, the table says %v", user, keys(got), keys(want))
		}
		delete(wantContact, user)
	}
	for user, want := range wantContact {
		if len(want) > 0 {
			t.Errorf("no contact for %s, the table says one with %v", user, keys(want))
		}
	}
	// Parent BSUIDs follow the BSUID and are never invented.
	now, before := mustJSON(v), mustJSON(origValue)
	for _, k := range parentKeys {
		n, was := strings.Count(now, `"`+k+`":"`), strings.Count(before, `"`+k+`":"`)
		switch {
		case !id.HasBSUID() && n > 0:
			t.Errorf("%s left in a %s body", k, id)
		case n > was:
			t.Errorf("%s invented (%d, the source had %d)", k, n, was)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func checkParses(t *testing.T, f fixtures.Fixture, out []byte) {
	t.Helper()
	n, err := webhook.Parse(out)
	if err != nil {
		t.Fatalf("the rewritten body does not parse: %v", err)
	}
	events := n.Events()
	if len(events) != f.Events {
		t.Fatalf("%d events, the catalog says %d", len(events), f.Events)
	}
	for _, e := range events {
		if len(e.Problems) > 0 {
			t.Errorf("%s: %q", e.Type, e.Problems)
		}
		if e.Kind == "message" && e.From == "" {
			t.Errorf("%s: a message without a sender", e.Type)
		}
	}
}
