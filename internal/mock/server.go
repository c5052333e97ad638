// Package mock is a local twin of the WhatsApp Cloud API: it answers an
// app's Graph API calls as Meta does (internal/mock/graph validates them),
// simulates the users on the other side (internal/mock/simnet), and posts
// the webhooks Meta would post back — statuses for what the app sent,
// messages the users write — through the same wire encoding, signature and
// sending engine as `wa-hooks send`. A control API under /_mock/ lets tests
// and the CLI verbs drive the users and read the log.
package mock

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// Defaults and bounds.
const (
	DefaultAddr           = "127.0.0.1:8090"
	DefaultWebhookTimeout = 10 * time.Second
	DefaultMaxHistory     = 100_000
	DefaultMaxLog         = 10_000
	DefaultMaxMedia       = 256 << 20
	DefaultTemplateReview = 5 * time.Second
	// maxQueue bounds the webhooks waiting to be posted; past it new ones
	// are dropped (and logged) rather than held in memory.
	maxQueue = 100_000
	// maxJSONBody bounds a Graph or control request body (media uploads
	// have their own, per kind).
	maxJSONBody = 1 << 20
)

// Options configure a mock.
type Options struct {
	// Webhook is the app's callback URL (POST /{app-id}/subscriptions can change it).
	Webhook string
	// AppSecret signs every webhook (X-Hub-Signature-256).
	AppSecret string
	// AccessToken is what the app must send as Authorization: Bearer.
	AccessToken string
	// StatePath, when set, is loaded at start and written on Close and
	// after changes, so users, templates, media and history survive a restart.
	StatePath string
	// Deterministic turns Meta's random habits off, makes every delay zero,
	// posts webhooks one at a time in order, and seeds ids so the same run
	// gives the same sequence.
	Deterministic bool
	// WebhookTimeout is how long the app may take to answer a webhook
	// before it counts as failed (and is retried).
	WebhookTimeout time.Duration
	// Habits overrides the habits of the mode (Realistic, or none when
	// Deterministic).
	Habits *simnet.Habits
	// Limits overrides Meta's throughput and pair-rate limits.
	Limits *simnet.Limits
	// AllowList, when not empty, makes the business number a test number
	// that may only send to these phone numbers (else 131030).
	AllowList []string
	// NoRetry posts each webhook once, even when the app fails it.
	NoRetry bool
	// NoCoalesce posts every due webhook on its own even when the app has
	// fallen behind (by default the updates waiting then leave together,
	// up to Meta's 1,000 per POST). Deterministic mode never coalesces.
	NoCoalesce bool
	// RetryScale compresses Meta's retry schedule (sender.DefaultRetryScale: 7 days in ~6 s).
	RetryScale float64
	// TemplateReview is how long a new template stays PENDING before its
	// status webhook (0: 5 s, or at once in deterministic mode; negative: at
	// once); TemplateDecision
	// is APPROVED (default) or REJECTED.
	TemplateReview   time.Duration
	TemplateDecision string
	// MaxHistory, MaxLog and MaxMedia bound the message history, the log
	// and the media store (bytes).
	MaxHistory int
	MaxLog     int
	MaxMedia   int64
	// BaseURL is where the mock is reachable (for media URLs and
	// /_mock/info); set by whoever listens.
	BaseURL string
	// Seed fixes ids and the habits' dice (0: random, or 1 when Deterministic).
	Seed uint64
	// OnEntry is called for every log entry, in order, with the webhook
	// body or Graph request it describes (for the terminal). It runs on a
	// goroutine of its own, shortly after the entry was logged (never on
	// a Graph answer's path), and has seen every entry when Close returns.
	OnEntry func(e Entry, body []byte)
	// OnReset is called after POST /_mock/reset put the mock back to a
	// fresh one's (the inspector forgets its conversations), once OnEntry
	// has seen every entry logged before the reset.
	OnReset func()
	// Now is the clock (tests).
	Now func() time.Time
}

// Business is the simulated business: its number, WABA and app.
type Business struct {
	PhoneNumberID      string `json:"phone_number_id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	WABAID             string `json:"waba_id"`
	AppID              string `json:"app_id"`
	VerifiedName       string `json:"verified_name"`
}

// digits is the display number as webhooks carry it (digits only).
func (b Business) digits() string { return graph.NormalizePhone(b.DisplayPhoneNumber) }

func defaultBusiness() Business {
	return Business{PhoneNumberID: "109283746501928", DisplayPhoneNumber: "+1 555-014-2233",
		WABAID: "104729385610274", AppID: "445566778899001", VerifiedName: "Mock Shop"}
}

// Server is a running twin. Its handler serves the Graph API and the
// control API; deliveries run on its own goroutines until Close.
type Server struct {
	opts   Options
	habits simnet.Habits
	// coalesce posts the updates waiting for a late app together (not in
	// deterministic mode, not with NoCoalesce).
	coalesce bool
	now      func() time.Time
	dice     *simnet.Dice
	lim      *simnet.Limiter
	client   *http.Client
	log      *eventLog
	out      *outbox
	macs     sync.Pool // *signature.Hasher keyed with the App Secret

	mu        sync.Mutex
	biz       Business
	net       *simnet.Network
	templates []*graph.Template
	media     *mediaStore
	hist      *history
	unread    map[*simnet.User][]uint64
	summaries map[string]string
	webhook   string
	subs      subscriptions
	perms     map[string]bool
	seq       uint64 // ids: wamids, media and template ids
	foreignMu sync.Mutex
	foreign   map[string]struct{}
	idMask    uint64
	// digits is biz.digits() of the display number digitsOf.
	digits, digitsOf string
	dirty            bool
	closed           bool

	fetches  chan struct{} // bounds concurrent media link fetches
	stopSave chan struct{}
	saveDone chan struct{}
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("mock: closed")

// New builds a mock from opts, loading opts.StatePath when it exists.
func New(opts Options) (*Server, error) {
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = DefaultWebhookTimeout
	}
	if opts.MaxHistory <= 0 {
		opts.MaxHistory = DefaultMaxHistory
	}
	if opts.MaxLog <= 0 {
		opts.MaxLog = DefaultMaxLog
	}
	if opts.MaxMedia <= 0 {
		opts.MaxMedia = DefaultMaxMedia
	}
	if opts.RetryScale <= 0 {
		opts.RetryScale = sender.DefaultRetryScale
	}
	if opts.TemplateDecision == "" {
		opts.TemplateDecision = "APPROVED"
	}
	opts.TemplateDecision = strings.ToUpper(opts.TemplateDecision)
	if opts.TemplateDecision != "APPROVED" && opts.TemplateDecision != "REJECTED" {
		return nil, fmt.Errorf("template decision %q: use APPROVED or REJECTED", opts.TemplateDecision)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Seed == 0 {
		if opts.Deterministic {
			opts.Seed = 1
		} else {
			var b [8]byte
			_, _ = rand.Read(b[:])
			for _, c := range b {
				opts.Seed = opts.Seed<<8 | uint64(c)
			}
			opts.Seed |= 1
		}
	}
	if opts.AccessToken == "" {
		return nil, errors.New("no access token: set access_token or WA_HOOKS_ACCESS_TOKEN")
	}
	if opts.AppSecret == "" {
		return nil, errors.New("no App Secret to sign webhooks with: set app_secret or WA_HOOKS_APP_SECRET")
	}
	s := &Server{opts: opts, now: opts.Now, dice: simnet.NewDice(opts.Seed), webhook: opts.Webhook,
		stopSave: make(chan struct{}), saveDone: make(chan struct{}), fetches: make(chan struct{}, 16)}
	switch {
	case opts.Habits != nil:
		s.habits = *opts.Habits
	case opts.Deterministic:
		s.habits = simnet.Deterministic()
	default:
		s.habits = simnet.Realistic()
	}
	s.coalesce = !opts.Deterministic && !opts.NoCoalesce
	if opts.Deterministic && opts.TemplateReview == 0 {
		s.opts.TemplateReview = 0
	} else if opts.TemplateReview == 0 {
		s.opts.TemplateReview = DefaultTemplateReview
	} else if opts.TemplateReview < 0 {
		s.opts.TemplateReview = 0
	}
	limits := simnet.DefaultLimits()
	if opts.Limits != nil {
		limits = *opts.Limits
	}
	s.lim = simnet.NewLimiter(limits)
	client, err := sender.NewClient(sender.ClientOptions{Timeout: opts.WebhookTimeout, Conns: 16})
	if err != nil {
		return nil, err
	}
	s.client = client
	s.log = newEventLog(opts.MaxLog, opts.OnEntry)
	s.macs.New = func() any { return signature.NewHasher(opts.AppSecret) }
	s.fresh()
	if opts.StatePath != "" {
		if err := s.load(opts.StatePath); err != nil {
			return nil, err
		}
	}
	// Webhooks are posted one at a time per shard (a user's stay in order);
	// 16 shards keep up with 1,000 sends/s, each with two statuses, to an
	// app that answers within a few milliseconds.
	shards := 16
	if opts.Deterministic {
		shards = 1 // one queue: the same order every run
	}
	s.out = newOutbox(s, shards)
	go s.saveLoop()
	return s, nil
}

// fresh puts the state back to a new mock's: one business number, the
// seeded users, hello_world, no media or history. Callers hold s.mu (or
// own s exclusively).
func (s *Server) fresh() {
	s.biz = defaultBusiness()
	s.net = simnet.NewNetwork(s.opts.Seed)
	s.net.Seed()
	s.seq = 0
	s.idMask = s.opts.Seed * 0x9e3779b97f4a7c15
	s.templates = []*graph.Template{graph.HelloWorld(s.newNumericID())}
	s.media = newMediaStore(s.opts.MaxMedia)
	s.hist = newHistory(s.opts.MaxHistory)
	s.unread = map[*simnet.User][]uint64{}
	s.summaries = map[string]string{}
	s.webhook = s.opts.Webhook
	s.subs = subscriptions{}
	s.perms = map[string]bool{permMessaging: true, permManagement: true}
	s.dirty = true
}

// Handler serves the Graph API and, under /_mock/, the control API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug must still answer with Meta's error object, never Go's text.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			e := graph.New(1, "An unknown error occurred.")
			e.Message = "An unknown error occurred"
			e.HTTPStatus = http.StatusInternalServerError
			graph.Write(w, e)
		}
	}()
	switch {
	case strings.HasPrefix(r.URL.Path, "/_mock/media/"):
		s.serveMediaDownload(w, r)
	case strings.HasPrefix(r.URL.Path, "/_mock/"), r.URL.Path == "/_mock":
		s.serveControl(w, r)
	default:
		s.serveGraph(w, r)
	}
}

// Close stops deliveries (those in flight are cancelled, those waiting
// are dropped) and saves the state.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.out.close()
	s.log.close() // OnEntry has seen every entry when Close returns
	close(s.stopSave)
	<-s.saveDone
	return s.save()
}

// Info is GET /_mock/info.
type Info struct {
	GraphBase     string   `json:"graph_base"`
	Versions      []string `json:"versions"`
	Latest        string   `json:"latest"`
	Business      Business `json:"business"`
	Webhook       string   `json:"webhook"`
	Deterministic bool     `json:"deterministic"`
	// Coalesce says whether updates waiting for a late app leave together.
	Coalesce bool `json:"coalesce"`
	// WebhooksWaiting counts the webhooks planned and not yet answered
	// (or given up): 0 when everything the mock meant to post was posted.
	WebhooksWaiting int `json:"webhooks_waiting"`
}

// Info describes the mock.
func (s *Server) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Info{GraphBase: s.opts.BaseURL, Versions: graph.Versions(), Latest: graph.LatestVersion(),
		Business: s.biz, Webhook: s.webhook, Deterministic: s.opts.Deterministic, Coalesce: s.coalesce,
		WebhooksWaiting: s.out.waiting()}
}

// SetBaseURL records where the mock listens (for media URLs and /_mock/info).
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.opts.BaseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// Users returns copies of the users.
func (s *Server) Users() []simnet.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]simnet.User, 0, s.net.Len())
	for _, u := range s.net.Users() {
		out = append(out, *u)
	}
	return out
}

// tokenOK compares a presented token with the access token (or the app
// token id|secret) in constant time.
func (s *Server) tokenOK(tok string, appToken bool) bool {
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.AccessToken)) == 1 {
		return true
	}
	if appToken {
		want := s.biz.AppID + "|" + s.opts.AppSecret
		return subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1
	}
	return false
}

// newNumericID is a 15-16 digit id like Meta's media and template ids.
func (s *Server) newNumericID() string {
	s.seq++
	return fmt.Sprintf("%d", 1000000000000000+(s.seq*7919+s.opts.Seed%100000)%8999999999999999)
}

// GenerateToken returns a random access token in the shape of Meta's (EAA…).
func GenerateToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "EAAmock" + hex.EncodeToString(b[:])
}

// GenerateSecret returns a random App Secret (32 hex digits, like Meta's).
func GenerateSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
