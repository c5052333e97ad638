package send

import "github.com/wa-hooks/wa-hooks/internal/sender"

// feeds sends the bodies of several feeds (built sources, then a
// recording) as one pass, cycling through all of them with -n.
type feeds []sender.Feed

func (fs feeds) Len() int {
	n := 0
	for _, f := range fs {
		n += f.Len()
	}
	return n
}

func (fs feeds) NewStream() sender.Stream {
	s := &feedsStream{fs: fs, total: fs.Len()}
	for _, f := range fs {
		s.streams = append(s.streams, f.NewStream())
	}
	return s
}

// Preview builds delivery job without sending it (--dry-run).
func (fs feeds) Preview(job int) (sender.Delivery, error) { return fs.NewStream().Delivery(job) }

type feedsStream struct {
	fs      feeds
	streams []sender.Stream
	total   int
}

// Delivery maps job onto the feed holding it, keeping each feed's own
// notion of which pass it is in (fresh ids per pass).
func (s *feedsStream) Delivery(job int) (sender.Delivery, error) {
	pass, i := job/s.total, job%s.total
	for k, f := range s.fs {
		if n := f.Len(); i < n {
			return s.streams[k].Delivery(pass*n + i)
		}
		i -= f.Len()
	}
	panic("unreachable: job beyond the feeds")
}
