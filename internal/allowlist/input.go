package allowlist

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

// readInput reads --input (a file, or "-" for stdin) in place of a fetch,
// bounded by --max-bytes like a server's answer.
func readInput(ios *iostreams.IO, s Source, o irr.Options) (*irr.Answer, error) {
	name := inputName(s.Input)
	var r io.Reader = ios.In
	if s.Input != "-" {
		f, err := os.Open(s.Input)
		if err != nil {
			return nil, exit.Errorf(exit.Usage, "cannot read --input: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(o.MaxBytes)+1))
	if err != nil {
		return nil, exit.Errorf(exit.Usage, "cannot read --input %s: %v", name, err)
	}
	if len(data) > o.MaxBytes {
		return nil, &irr.Error{Kind: irr.TooLarge, Msg: fmt.Sprintf("%s is larger than %d bytes (--max-bytes); refusing it", name, o.MaxBytes)}
	}
	format := s.InputFormat
	if format == "" || format == irr.InputAuto {
		format = irr.DetectInput(data)
		ios.Debugf("allowlist: %s looks like %s input", name, format)
	}
	if len(s.Maintainers) > 0 && format != irr.InputRPSL {
		return nil, usage("--maintainers needs RPSL input: a %s input carries no maintainer", format)
	}
	ans, err := irr.ParseAnswer(data, format, name, o)
	if irr.KindOf(err) == irr.ServerError {
		// A saved error answer is not worth retrying later: it is refused.
		var e *irr.Error
		errors.As(err, &e)
		err = &irr.Error{Kind: irr.Malformed, Msg: e.Msg}
	}
	return ans, err
}

// checkInputFormat validates --input-format.
func checkInputFormat(f string) error {
	if f == "" || slices.Contains(irr.InputFormats, f) {
		return nil
	}
	return fmt.Errorf("bad --input-format %q: use %s", f, strings.Join(irr.InputFormats, ", "))
}
