package mock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// RunOptions are `wa-hooks mock`'s: the server's options and where to listen.
type RunOptions struct {
	Options
	Addr string
	// JSON prints every log entry as one JSON line instead of the pretty lines.
	JSON bool
	// TokenGenerated and SecretGenerated say the values were made up for
	// this run (the banner prints them then, and only then).
	TokenGenerated, SecretGenerated bool
	// Companions run beside the mock and see its log (the web inspector).
	Companions []Companion
}

// Companion is something that runs beside the mock: started once the
// server exists and before the banner, stopped after the server closed.
type Companion interface {
	// Start returns the banner's row for it.
	Start(ctx context.Context, ios *iostreams.IO, s *Server) (label, value string, err error)
	// Entry sees every log entry in order, with its body; it must not block.
	Entry(e Entry, body []byte)
	// Reset is called when the mock was reset (POST /_mock/reset).
	Reset()
	Stop()
}

// Run serves the mock on o.Addr until ctx ends.
func Run(ctx context.Context, ios *iostreams.IO, o RunOptions) error {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Webhook != "" {
		u, err := url.Parse(o.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return exit.Errorf(exit.Usage, "--webhook %q: give your app's absolute http(s) URL, e.g. http://127.0.0.1:3000/webhook", o.Webhook)
		}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return exit.Errorf(exit.Usage, "--addr %s: %v (is another mock running? 'wa-hooks mock users' talks to it)", o.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	o.BaseURL = base
	p := newPrinter(ios, o.JSON)
	if !ios.Quiet { // quiet: nothing to print, so no printer goroutine to feed
		o.OnEntry = p.entry
	}
	if cs := o.Companions; len(cs) > 0 {
		o.OnEntry = func(e Entry, body []byte) {
			p.entry(e, body)
			for _, c := range cs {
				c.Entry(e, body)
			}
		}
		o.OnReset = func() {
			for _, c := range cs {
				c.Reset()
			}
		}
	}
	srv, err := New(o.Options)
	if err != nil {
		ln.Close()
		return exit.New(exit.Usage, err)
	}
	p.backlog = srv.log.waiting
	p.budget = newLineBudget()
	var rows [][2]string
	for _, c := range o.Companions {
		label, value, err := c.Start(ctx, ios, srv)
		if err != nil {
			c.Stop() // those started before stop by their defer
			_ = srv.Close()
			ln.Close()
			return err
		}
		defer c.Stop() // after srv.Close below: the last entries are seen
		rows = append(rows, [2]string{label, value})
	}
	banner(ios, o, srv, rows)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = srv.Close()
			return exit.New(exit.Failure, err)
		}
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shut)
	err = srv.Close() // the printer has seen every entry
	p.done()
	if err != nil {
		return exit.New(exit.Failure, err)
	}
	if o.StatePath != "" && !ios.Quiet {
		ios.Infof("state saved to %s", o.StatePath)
	}
	return nil
}

func banner(ios *iostreams.IO, o RunOptions, s *Server, extra [][2]string) {
	st := render.NewStyles(ios.ErrRenderer())
	w := ios.ErrOut
	info := s.Info()
	fmt.Fprintf(w, "%s %s\n", st.Title.Render("Cloud API mock on"), st.Bold.Render(info.GraphBase))
	if ios.Quiet {
		return
	}
	// On a terminal each value wraps under itself, as in serve's banner.
	width := 0
	if ios.StderrTTY {
		width = ios.TerminalWidth()
	}
	const valueAt = 2 + 15 + 1
	row := func(label, value string) {
		fmt.Fprintf(w, "  %s %s\n", st.Key.Render(fmt.Sprintf("%-15s", label)), render.WrapIndent(value, width, valueAt, valueAt))
	}
	row("Graph API base", st.Bold.Render(info.GraphBase)+st.Dim.Render(fmt.Sprintf("  (set GRAPH_API_BASE or your SDK's base URL; %s … %s, or no version)", graph.Versions()[0], info.Latest)))
	if o.TokenGenerated {
		row("Access token", st.Bold.Render(o.AccessToken)+st.Dim.Render("  (generated: your app sends Authorization: Bearer <this>; set access_token / WA_HOOKS_ACCESS_TOKEN to keep one)"))
	} else {
		row("Access token", config.Mask(o.AccessToken)+st.Dim.Render("  (from your configuration)"))
	}
	if o.SecretGenerated {
		row("App Secret", st.Bold.Render(o.AppSecret)+st.Dim.Render("  (generated: give your app this App Secret, or set app_secret / WA_HOOKS_APP_SECRET to your app's)"))
	} else {
		row("App Secret", config.Mask(o.AppSecret)+st.Dim.Render("  (signs every webhook: X-Hub-Signature-256)"))
	}
	hook := info.Webhook
	if hook == "" {
		hook = st.Warn.Render("none yet") + st.Dim.Render(" (--webhook URL, or your app subscribes with POST /"+info.Business.AppID+"/subscriptions)")
	} else {
		hook = st.Bold.Render(termsafe.Line(hook)) + st.Dim.Render(fmt.Sprintf("  (timeout %s, Meta's retries)", s.opts.WebhookTimeout))
	}
	row("Webhook", hook)
	b := info.Business
	row("Business number", fmt.Sprintf("%s  %s %s", st.Bold.Render(b.DisplayPhoneNumber), st.Key.Render("phone_number_id"), st.Bold.Render(b.PhoneNumberID)))
	row("WABA", fmt.Sprintf("%s  %s %s", st.Bold.Render(b.WABAID), st.Key.Render("app id"), b.AppID))
	for i, u := range s.Users() {
		label := ""
		if i == 0 {
			label = "Users"
		}
		var ids []string
		if u.WaID != "" {
			ids = append(ids, "+"+u.WaID)
		}
		if u.UserID != "" {
			ids = append(ids, u.UserID)
		}
		if u.Username != "" {
			ids = append(ids, "@"+u.Username)
		}
		row(label, fmt.Sprintf("%s %s %s", st.Bold.Render(fmt.Sprintf("%-8s", termsafe.Line(u.Name))),
			termsafe.Line(strings.Join(ids, "  ")), st.Dim.Render("("+termsafe.Line(u.ProfileName)+")")))
	}
	mode := "realistic: Meta's habits on (batches, out of order, skipped delivered, duplicates), statuses within a second, what waits for a slow app in one POST"
	if o.NoCoalesce {
		mode = "realistic: Meta's habits on (batches, out of order, skipped delivered, duplicates), statuses within a second, every webhook on its own (--no-coalesce)"
	}
	if o.Deterministic {
		mode = "deterministic: no random habits, zero delays, one ordered queue"
	}
	row("Mode", mode)
	if o.StatePath != "" {
		row("State", termsafe.Line(o.StatePath))
	}
	for _, r := range extra {
		row(r[0], r[1])
	}
	fmt.Fprintf(w, "\n  %s\n\n", render.WrapIndent(st.Dim.Render("Drive it: wa-hooks mock say alice 'hi'   ·   mock tap alice 1   ·   mock read alice   ·   mock log"), width, 2, 2))
}
