package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/term"
)

// output is where a command writes for people and for scripts.
type output struct {
	w     io.Writer
	tty   bool // w is a terminal: a person reads it
	color bool // ANSI colors: only on a terminal, never with NO_COLOR
	width int  // columns a table may take; 0: no limit
}

func newOutput(w io.Writer, getenv env) *output {
	tty := isTerminal(w)
	return &output{w: w, tty: tty, color: colorAllowed(tty, getenv), width: termWidth(w, getenv)}
}

// termWidth is the width of the terminal w is, else $COLUMNS if exported
// (for a person who pipes into less), else no limit: a table into a file
// keeps every column.
func termWidth(w io.Writer, getenv env) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

// printable makes a name or an email safe to print: no control character
// can move the cursor, recolor the terminal or shift a table's columns, and
// no bidirectional override can make text read other than it is. Names may
// not hold control characters (the API refuses them); this is a net for
// what an older server or a database edit let in.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return ' '
		}
		return r
	}, s)
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

// timeCell shows a time to the minute, in UTC like every time of the API.
func timeCell(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// optTimeCell shows an optional time, or none.
func optTimeCell(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return timeCell(*t)
}
