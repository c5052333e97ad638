package mock

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// statusApp answers every webhook at once and keeps, per POST, the
// (message id, status) pairs it carried, in arrival order.
type statusApp struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts [][][2]string
}

func newStatusApp(t *testing.T) *statusApp {
	a := &statusApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct {
			Entry []struct {
				Changes []struct {
					Value struct {
						Statuses []struct{ ID, Status string }
					}
				}
			}
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		var got [][2]string
		for _, e := range env.Entry {
			for _, c := range e.Changes {
				for _, s := range c.Value.Statuses {
					got = append(got, [2]string{s.ID, s.Status})
				}
			}
		}
		a.mu.Lock()
		if len(got) > 0 {
			a.posts = append(a.posts, got)
		}
		a.mu.Unlock()
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *statusApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, p := range a.posts {
		n += len(p)
	}
	return n
}

// Under a load that puts the app behind, each user's statuses still
// arrive once each and in the order their messages were answered, while
// late and paced posts carry the updates of every queue.
func TestPacedPostsKeepEachUsersOrder(t *testing.T) {
	a := newStatusApp(t)
	h := simnet.Habits{}
	s, err := New(Options{Webhook: a.srv.URL + "/webhook", AccessToken: testToken, AppSecret: testSecret,
		Habits: &h, Limits: &simnet.Limits{}, NoRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	t.Cleanup(func() { hs.Close(); s.Close() })
	const users, each, workers = 48, 12, 6
	for i := range users {
		if st := control(t, hs.URL, "POST", "users", map[string]string{"name": fmt.Sprintf("u%d", i), "identity": "phone", "wa_id": fmt.Sprintf("4479000%04d", i)}, nil); st != 200 {
			t.Fatalf("adding user %d: %d", i, st)
		}
		control(t, hs.URL, "POST", fmt.Sprintf("users/u%d/say", i), map[string]string{"text": "hi"}, nil)
	}
	order := make([][]string, users) // per user, its messages' ids as answered
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				for u := w; u < users; u += workers {
					st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
						fmt.Sprintf(`{"messaging_product":"whatsapp","to":"4479000%04d","type":"text","text":{"body":"n%d"}}`, u, k))
					if st != 200 {
						t.Errorf("send: %d %v", st, out)
						return
					}
					id := out["messages"].([]any)[0].(map[string]any)["id"].(string)
					mu.Lock()
					order[u] = append(order[u], id)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	want := 2 * users * each
	for deadline := time.Now().Add(20 * time.Second); a.count() < want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d statuses of %d arrived", a.count(), want)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	arrived := map[string][]string{}
	var seq []string // "id status" in arrival order
	for _, p := range a.posts {
		for _, st := range p {
			arrived[st[0]] = append(arrived[st[0]], st[1])
			seq = append(seq, st[0]+" "+st[1])
		}
	}
	pos := map[string]int{}
	for i, x := range seq {
		pos[x] = i
	}
	for u, ids := range order {
		for k, id := range ids {
			if got := strings.Join(arrived[id], ","); got != "sent,delivered" {
				t.Errorf("u%d message %d: %s, want sent then delivered once each", u, k, got)
			}
			if k > 0 && pos[id+" sent"] < pos[ids[k-1]+" delivered"] {
				t.Errorf("u%d: message %d's sent arrived before message %d's delivered", u, k, k-1)
			}
		}
	}
	t.Logf("%d statuses in %d POSTs", len(seq), len(a.posts))
}

// When the app falls behind, the first late post carries what waited in
// every queue, not only its own: a user's updates stay in their queue's
// order, but a backlog spread over many users leaves in a few POSTs
// instead of one per queue.
func TestALatePostCarriesEveryQueuesUpdates(t *testing.T) {
	a := newSlowApp(t)
	h := simnet.Habits{}
	s, err := New(Options{Webhook: a.srv.URL + "/webhook", AccessToken: testToken, AppSecret: testSecret,
		Habits: &h, Limits: &simnet.Limits{}, NoRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	t.Cleanup(func() { hs.Close(); s.Close() })
	const users = 32
	queues := map[*shard]bool{}
	for i := range users {
		name := fmt.Sprintf("u%d", i)
		control(t, hs.URL, "POST", "users", map[string]string{"name": name, "identity": "phone", "wa_id": fmt.Sprintf("4479000%04d", i)}, nil)
		control(t, hs.URL, "POST", "users/"+name+"/say", map[string]string{"text": "hi"}, nil)
		queues[s.out.shardFor(name)] = true
	}
	if len(queues) < 8 {
		t.Fatalf("the users share %d queues: too few to tell one POST per queue from one in all", len(queues))
	}
	for deadline := time.Now().Add(10 * time.Second); s.out.waiting() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the users' messages were never posted")
		}
	}
	send := func(i int) {
		if st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
			fmt.Sprintf(`{"messaging_product":"whatsapp","to":"4479000%04d","type":"text","text":{"body":"shipped"}}`, i)); st != 200 {
			t.Fatalf("send: %d %v", st, out)
		}
	}
	a.hold()
	send(0)
	<-a.in // u0's sent is at the app, which does not answer yet
	for i := 1; i < users; i++ {
		send(i)
	}
	time.Sleep(3 * coalesceLate) // what waits behind it is late now
	a.release()
	for deadline := time.Now().Add(10 * time.Second); s.out.waiting() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks still waiting", s.out.waiting())
		}
	}
	a.mu.Lock()
	posts := a.posts
	a.mu.Unlock()
	checkEveryStatus(t, posts, users)
	// The held one, then the late ones: as many as lanes were open at
	// once (the held POST made the app look slow), not one per queue.
	if len(posts) > 6 {
		t.Errorf("%d status POSTs for a backlog over %d queues: each queue posted its own", len(posts), len(queues))
	}
}
