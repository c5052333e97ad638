package mock

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// statusCount is how many statuses the app has received.
func (a *slowApp) statusCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, p := range a.posts {
		n += len(p)
	}
	return n
}

// busyMock is a mock posting to a with no habits, limits or retries,
// and users u0…u(n-1) whose windows are open; it returns the mock and its
// base URL once their messages have been posted.
func busyMock(t *testing.T, a *slowApp, users int) (*Server, string) {
	t.Helper()
	h := simnet.Habits{}
	s, err := New(Options{Webhook: a.srv.URL + "/webhook", AccessToken: testToken, AppSecret: testSecret,
		Habits: &h, Limits: &simnet.Limits{}, NoRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	t.Cleanup(func() { hs.Close(); s.Close() })
	for i := range users {
		name := fmt.Sprintf("u%d", i)
		if st := control(t, hs.URL, "POST", "users", map[string]string{"name": name, "identity": "phone", "wa_id": fmt.Sprintf("4479000%04d", i)}, nil); st != 200 {
			t.Fatalf("adding %s: %d", name, st)
		}
		control(t, hs.URL, "POST", "users/"+name+"/say", map[string]string{"text": "hi"}, nil)
	}
	waitPosted(t, s, 20*time.Second)
	return s, hs.URL
}

// waitPosted waits until the mock has posted everything it planned,
// failing tb when something still waits after within.
func waitPosted(tb testing.TB, s *Server, within time.Duration) {
	tb.Helper()
	for deadline := time.Now().Add(within); s.out.waiting() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("%d webhooks still waiting after %v", s.out.waiting(), within)
		}
	}
}

// sendText sends a text to user i and returns its wamid.
func sendText(t *testing.T, base string, i int) string {
	st, out := graphCall(t, "POST", base+"/v21.0/109283746501928/messages", testToken,
		fmt.Sprintf(`{"messaging_product":"whatsapp","to":"4479000%04d","type":"text","text":{"body":"shipped"}}`, i))
	if st != 200 {
		t.Errorf("send: %d %v", st, out)
		return ""
	}
	return out["messages"].([]any)[0].(map[string]any)["id"].(string)
}

// Under a load that puts the app behind, each user's statuses still
// arrive once each and in the order their messages were answered, while
// late and paced posts carry the updates of every queue.
func TestPacedPostsKeepEachUsersOrder(t *testing.T) {
	a := newSlowApp(t)
	const users, each, workers = 48, 12, 6
	s, base := busyMock(t, a, users)
	order := make([][]string, users) // per user, its messages' ids as answered
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for u := w; u < users; u += workers {
					id := sendText(t, base, u)
					if id == "" {
						return
					}
					mu.Lock()
					order[u] = append(order[u], id)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	waitPosted(t, s, 20*time.Second)
	if got, want := a.statusCount(), 2*users*each; got != want {
		t.Fatalf("%d statuses of %d arrived", got, want)
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
	const users = 32
	s, base := busyMock(t, a, users)
	queues := map[*shard]bool{}
	for i := range users {
		queues[s.out.shardFor(fmt.Sprintf("u%d", i))] = true
	}
	if len(queues) < 8 {
		t.Fatalf("the users share %d queues: too few to tell one POST per queue from one in all", len(queues))
	}
	a.hold()
	sendText(t, base, 0)
	<-a.in // u0's sent is at the app, which does not answer yet
	for i := 1; i < users; i++ {
		sendText(t, base, i)
	}
	time.Sleep(3 * coalesceLate) // what waits behind it is late now
	a.release()
	waitPosted(t, s, 20*time.Second)
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
