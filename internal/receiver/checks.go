package receiver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/wa-hooks/wa-hooks/internal/exit"
)

// checkConfig refuses flag combinations that cannot do what was asked,
// before anything listens.
func checkConfig(cfg Config, filter Filter) error {
	if cfg.DemoExit && !cfg.Demo {
		return exit.Errorf(exit.Usage, "--demo-exit only means something with --demo: add --demo, or drop --demo-exit")
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		switch {
		case err != nil || u.Host == "":
			return exit.Errorf(exit.Usage, "%s %q is not a URL: use the https:// address your tunnel prints, e.g. https://abc.trycloudflare.com", cfg.origin("public-url"), cfg.PublicURL)
		case u.Scheme != "https":
			return exit.Errorf(exit.Usage, "%s %q must be an https:// URL: Meta only delivers webhooks over HTTPS with a publicly trusted certificate; use the https address your tunnel prints", cfg.origin("public-url"), cfg.PublicURL)
		}
	}
	if err := filter.Check(); err != nil {
		return exit.New(exit.Usage, err)
	}
	return nil
}

// reachableFromNetwork reports whether a listener accepts connections from
// other machines (anything but loopback).
func reachableFromNetwork(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && !tcp.IP.IsLoopback()
}

// listen opens the address; for the demo a port in use is no reason to
// stop: it takes a free port on the same host instead, and says so.
func listen(cfg Config) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err == nil || !cfg.Demo || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, "", err
	}
	host, _, splitErr := net.SplitHostPort(cfg.Addr)
	if splitErr != nil {
		return nil, "", err
	}
	ln, err2 := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err2 != nil {
		return nil, "", err
	}
	return ln, fmt.Sprintf("%s is in use, so the demo listens on a free port instead", strings.TrimPrefix(cfg.Addr, ":")), nil
}
