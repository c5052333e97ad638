package behaviour

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// DefaultAddr is where `wa-hooks test` finds or starts the mock: the same
// default as `wa-hooks mock`.
const DefaultAddr = mock.DefaultAddr

// DefaultInitFile is the file `wa-hooks test --init` writes without a name.
const DefaultInitFile = "wa-hooks-test.yaml"

// CommandOptions are `wa-hooks test`'s flags and config.
type CommandOptions struct {
	Options
	// Addr is where the mock runs, or is started.
	Addr        string
	AccessToken string
	// AppSecret signs the webhooks of a mock the command starts.
	AppSecret string
	// Files are scenario files to run after the built-in checks.
	Files []string
	JSON  bool
	// JUnit is a file to write the report to as JUnit XML.
	JUnit string
	// Init writes the example scenario (to Files[0] or DefaultInitFile).
	Init bool
}

// Command is `wa-hooks test`: it finds or starts the mock, runs the suite
// and the scenario files, reports, and returns an error carrying the exit
// code.
func Command(ctx context.Context, ios *iostreams.IO, o CommandOptions) error {
	if o.Init {
		return writeExample(ios, o.Files)
	}
	var errs []error
	for _, f := range o.Files {
		sc, err := LoadScenario(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o.Scenarios = append(o.Scenarios, sc)
	}
	if len(errs) > 0 {
		return exit.New(exit.Usage, errors.Join(errs...))
	}
	if _, err := prepare(o.Options); err != nil {
		return err
	}
	if o.AppSecret == "" {
		return exit.Errorf(exit.Usage, "the mock signs webhooks with the app's App Secret: set WA_HOOKS_APP_SECRET (or app_secret in the config file)")
	}
	if o.JUnit != "" {
		// Found out now, not after the whole run.
		if fi, err := os.Stat(filepath.Dir(o.JUnit)); err != nil || !fi.IsDir() {
			return exit.Errorf(exit.Usage, "--junit %s: no directory %s to write it in", o.JUnit, filepath.Dir(o.JUnit))
		}
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	budget := o.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	m, err := OpenMock(ctx, MockOptions{Addr: o.Addr, App: o.App, AppSecret: o.AppSecret, AccessToken: o.AccessToken, Budget: budget})
	if err != nil {
		return err
	}
	defer m.Close()
	m.banner(ios)

	o.Mock = m.URL
	if o.JSON {
		o.Reporter = render.NewVerifyJSON(ios.Out)
	} else {
		width := 0
		if ios.StdoutTTY {
			width = ios.TerminalWidth()
		}
		o.Reporter = render.NewVerifyPretty(ios.Out, ios.Renderer(), render.VerifyOptions{Width: width, Verbose: ios.Verbose, Heading: "Testing"})
	}
	rep, err := Run(ctx, o.Options)
	if err != nil {
		return err
	}
	if o.JUnit != "" {
		if err := render.WriteJUnitFile(o.JUnit, "wa-hooks test", rep); err != nil {
			return exit.Errorf(exit.Failure, "--junit %s: %v", o.JUnit, err)
		}
	}
	return exitFor(ctx, rep)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeExample writes the commented example scenario, never over a file.
func writeExample(ios *iostreams.IO, files []string) error {
	path := DefaultInitFile
	switch len(files) {
	case 0:
	case 1:
		path = files[0]
	default:
		return exit.Errorf(exit.Usage, "--init writes one file: give at most one name")
	}
	if path == "-" {
		_, err := ios.Out.Write(Example())
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return exit.Errorf(exit.Usage, "%s exists already: give --init another file name (or - for stdout)", path)
	}
	if err != nil {
		return exit.Errorf(exit.Failure, "%s: %v", path, unwrapPath(err))
	}
	if _, err := f.Write(Example()); err != nil {
		f.Close()
		return exit.Errorf(exit.Failure, "%s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return exit.Errorf(exit.Failure, "%s: %v", path, err)
	}
	ios.Infof("wrote %s: edit it, then run wa-hooks test --app URL %s", path, path)
	return nil
}

// banner says which mock is used and what the app must be configured with.
func (m *Mock) banner(ios *iostreams.IO) {
	how := "already running"
	if m.Started {
		how = "started by wa-hooks test"
	}
	ios.Infof("Mock Cloud API on %s (%s)", m.URL, how)
	ios.Infof("  the app must call the Graph API at %s (its GRAPH_API_BASE or its SDK's base URL)", termsafe.Line(m.Info.GraphBase))
	if m.GeneratedToken != "" {
		ios.Infof("  with the access token %s (generated: set WA_HOOKS_ACCESS_TOKEN to the app's token instead)", m.GeneratedToken)
	} else {
		ios.Infof("  with its access token as Bearer (the mock's access_token / WA_HOOKS_ACCESS_TOKEN)")
	}
	b := m.Info.Business
	ios.Infof("  business number %s, phone number id %s, WABA %s", termsafe.Line(b.DisplayPhoneNumber), termsafe.Line(b.PhoneNumberID), termsafe.Line(b.WABAID))
	if !m.Info.Deterministic {
		ios.Warnf("the mock on %s adds Meta's random habits (duplicates, batches, reordering): results may vary; start it with --deterministic", m.URL)
	}
}
