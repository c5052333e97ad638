package allowlist

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

func testOptions(server string) Options {
	return Options{
		Source: Source{ASN: "32934", Server: server, Query: "irrd", ShortestV4: 12, ShortestV6: 24,
			ConnectTimeout: time.Second, Timeout: 5 * time.Second, MaxBytes: 16 << 20},
		Format: "plain", Name: "meta_webhooks", MaxShrink: "30%", MaxGrowth: "100%", MinPrefixes: 10,
	}
}

func TestRunToStdout(t *testing.T) {
	srv, err := irrtest.Start(irrtest.Generate(5, 300), irrtest.Normal)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ios, _, out, errOut := iostreams.Test()
	if err := Run(context.Background(), ios, testOptions(srv.Addr)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n157.240.0.0/16\n") || !strings.HasPrefix(out.String(), "# AS32934 ") {
		t.Errorf("stdout:\n%s", out)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr not quiet: %s", errOut)
	}
}

func TestRunInterrupted(t *testing.T) {
	srv, err := irrtest.Start(irrtest.Generate(5, 300), irrtest.Hang)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	ios, _, _, _ := iostreams.Test()
	err = Run(ctx, ios, testOptions(srv.Addr))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled (exit 130 in cmd)", err)
	}
}

func TestRunCustomASNHasNoDefaultAnchors(t *testing.T) {
	o := testOptions("127.0.0.1:1")
	_, p, err := o.Source.prepare(&iostreams.IO{})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := o.anchors(p); len(a) != 3 {
		t.Errorf("AS32934 anchors = %v", a)
	}
	o.ASN = "AS64496"
	_, p, _ = o.Source.prepare(&iostreams.IO{})
	if a, _ := o.anchors(p); len(a) != 0 {
		t.Errorf("AS64496 got Meta's anchors: %v", a)
	}
	o.Anchors, o.AnchorsSet = []string{"none"}, true
	if a, _ := o.anchors(p); len(a) != 0 {
		t.Errorf("--anchor none = %v", a)
	}
	o.V6Only = true
	o.Anchors = DefaultAnchors
	_, p, _ = o.Source.prepare(&iostreams.IO{})
	if a, _ := o.anchors(p); len(a) != 1 || a[0].String() != "2a03:2880::/32" {
		t.Errorf("-6 anchors = %v", a)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Options){
		"both families":     func(o *Options) { o.V4Only, o.V6Only = true, true },
		"maintainers irrd":  func(o *Options) { o.Maintainers = []string{"X"} },
		"bad sources":       func(o *Options) { o.Sources = []string{"RADB !g"} },
		"retries":           func(o *Options) { o.Retries = 99 },
		"timeout":           func(o *Options) { o.Timeout = 0 },
		"iptables 2 family": func(o *Options) { o.Format = "iptables" },
		"hooks need output": func(o *Options) { o.CheckCmd = "true" },
		"negative min":      func(o *Options) { o.MinPrefixes = -1 },
	} {
		o := testOptions("127.0.0.1:1")
		mutate(&o)
		ios, _, _, _ := iostreams.Test()
		if err := Run(context.Background(), ios, o); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%s: err = %v (exit %d), want usage", name, err, exit.CodeOf(err))
		}
	}
}
