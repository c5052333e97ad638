package receiver

import (
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Every fixture the demo (and send) posts is dated now: no event of the
// catalog shows STALE in a demo.
func TestDemoTimestampsAreFresh(t *testing.T) {
	feed, err := demoFeed(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stream := feed.NewStream()
	for job := 0; job < feed.Len(); job++ {
		d, err := stream.Delivery(job)
		if err != nil {
			t.Fatal(err)
		}
		n, err := webhook.Parse(d.Body)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for _, e := range n.Events() {
			if !e.Timestamp.IsZero() && now.Sub(e.Timestamp) > 10*time.Minute {
				t.Errorf("%s: %s dated %s, %s ago", d.Name, e.Type, e.Timestamp.Format(time.RFC3339), now.Sub(e.Timestamp).Round(time.Minute))
			}
		}
	}
}
