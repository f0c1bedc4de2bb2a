package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
)

// output is where a command writes for people and for scripts.
type output struct {
	w     io.Writer
	tty   bool // w is a terminal: a person reads it
	color bool // ANSI colors: only on a terminal, never with NO_COLOR
}

func newOutput(w io.Writer, getenv env) *output {
	tty := isTerminal(w)
	return &output{w: w, tty: tty, color: colorAllowed(tty, getenv)}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorAllowed: colors on a terminal, unless NO_COLOR is set to anything
// (no-color.org) or the terminal is dumb.
func colorAllowed(tty bool, getenv env) bool {
	return tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

// paint wraps s in code when colors are on.
func (o *output) paint(code, s string) string {
	if !o.color {
		return s
	}
	return code + s + ansiReset
}

// printJSON writes v as one line of JSON: what --json prints, for scripts.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// newTable returns a tabwriter for a table of columns separated by tabs;
// Flush writes it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// timeCell shows a time to the minute, in UTC like every time of the API.
func timeCell(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// optTimeCell shows an optional time, or none.
func optTimeCell(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return timeCell(*t)
}

// parseInterspersed parses flags and positional arguments in any order
// (`pome keys create ci --role viewer`), as people type them; after "--"
// everything is positional. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string, getenv env, aliases map[string]string) ([]string, error) {
	if err := parseFlags(fs, args, getenv, aliases); err != nil {
		return nil, err
	}
	var pos []string
	for {
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// The flag package stops at "--" (consumed) or a non-flag.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, &usageError{msg: err.Error(), quiet: true}
		}
	}
}
