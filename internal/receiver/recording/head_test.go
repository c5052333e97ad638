package recording

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The hand-written head must be byte for byte what json.Marshal writes.
func headRecords() []Record {
	h := http.Header{
		"Content-Type": {"application/json"}, "User-Agent": {"facebookexternalua"},
		"X-Hub-Signature-256": {"sha256=0123abcd"}, "Accept-Encoding": {"gzip"}, "X-Multi": {"a", "b"}, "X-Empty": {},
	}
	base := Record{Time: time.Date(2026, 11, 25, 18, 0, 0, 123456789, time.UTC), Seq: 42, Remote: "127.0.0.1:5555",
		Method: "POST", Path: "/webhook", Header: h, Signature: "valid", Status: 200}
	variants := []func(*Record){
		func(*Record) {},
		func(r *Record) { r.Remote, r.Signature, r.Header = "", "", nil },
		func(r *Record) {
			r.Query = "hub.mode=subscribe&hub.verify_token=****"
			r.Status = 403
			r.Error = "handshake refused: wrong token"
		},
		func(r *Record) { r.Truncated = true; r.Header = http.Header{} },
		func(r *Record) { r.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 5*3600+1800)) },
		func(r *Record) { r.Time = time.Time{} },
		func(r *Record) { r.Time = time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC) },
		func(r *Record) { r.Error = `bad "quote" <tag> & \ back` },
		func(r *Record) { r.Header = http.Header{"X-Odd": {"tab\there", "é", "\x7f", "\xff"}} },
		func(r *Record) { r.Header = http.Header{"X-Nil": nil} },
		func(r *Record) { r.Path = "/we<b>hook" },
	}
	var out []Record
	for _, v := range variants {
		r := base
		v(&r)
		out = append(out, r)
	}
	return out
}

func TestHeadMatchesJSONMarshal(t *testing.T) {
	type plain Record
	fast := 0
	for i, r := range headRecords() {
		want, wantErr := json.Marshal(plain(r))
		got, ok := r.appendHead(nil)
		if !ok {
			continue
		}
		fast++
		if wantErr != nil {
			t.Errorf("record %d: json.Marshal fails (%v) but the fast head did not", i, wantErr)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("record %d:\n got  %s\n want %s", i, got, want)
		}
	}
	if fast < 5 {
		t.Errorf("only %d records took the fast head", fast)
	}
}

func FuzzHead(f *testing.F) {
	f.Add("127.0.0.1:1", "/webhook", "a=b", "X-A", "v", "err", int64(1764093600123456789))
	f.Add("", "/<x>", "", "", "\xff", "\"", int64(-1))
	f.Fuzz(func(t *testing.T, remote, path, query, hk, hv, msg string, ns int64) {
		type plain Record
		r := Record{Time: time.Unix(0, ns).UTC(), Remote: remote, Method: "POST", Path: path, Query: query,
			Header: http.Header{hk: {hv, hv}}, Error: msg, Status: 200}
		got, ok := r.appendHead(nil)
		if !ok {
			return
		}
		want, err := json.Marshal(plain(r))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, want %s (%v)", got, want, err)
		}
	})
}
