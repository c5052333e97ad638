package webhook

import "testing"

// Keys a value's type does not decode are collected while decoding on the
// fast path and by a scan on the reference path: both give the same
// notification and events, whichever way the value was guessed.
func TestStraysSameOnBothPaths(t *testing.T) {
	for _, body := range []string{
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{},"calls":[{"id":"wacid.A"}],"mood":"x","messages":[]}}]}]}`,
		// value first, and a second change whose field the guess gets wrong
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"metadata":{},"extra":{"a":1},"statuses":[]},"field":"standby"},{"value":{"metadata":{},"history":[],"odd":[1,2]},"field":"history"}]}]}`,
		// management values keep everything in raw: no strays
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"X","new_thing":[1]}}]}]}`,
	} {
		sameAsReference(t, "strays", []byte(body))
		n, err := Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		unknown := 0
		for _, e := range n.Events() {
			if e.Kind == KindUnknown {
				unknown++
			}
		}
		if want := map[bool]int{true: 0, false: 1}[n.Entry[0].Changes[0].Field == "account_update"]; unknown < want {
			t.Errorf("%s: %d unknown events", body, unknown)
		}
	}
}
