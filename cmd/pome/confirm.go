package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// registerYes adds --yes to a destructive command.
func registerYes(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "do it without asking (required when stdin is not a terminal)")
}

// confirm asks question before a destructive action, as gh and the Stripe
// CLI do. --yes skips it. At a terminal the person answers (y or yes goes
// on; anything else stops, exit 2); with no terminal to ask, the command
// refuses without --yes (exit 2), so that a script never destroys by an
// unnoticed default.
func (a *app) confirm(cmd *cobra.Command, yes bool, question string) error {
	if yes {
		return nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return usagef("%sstdin is not a terminal to confirm on: pass --yes to go on", where(cmd))
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	// A terminal in canonical mode hands over one line per read: the
	// reader takes nothing a later prompt would need.
	line, _ := bufio.NewReader(f).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return usagef("%snot confirmed; nothing was changed", where(cmd))
}

// describeRef names a resolved key for a question: its id, and the name it
// was given by when it was not the id.
func describeRef(id, ref string) string {
	if ref == id {
		return id
	}
	return fmt.Sprintf("%s (%s)", id, printable(ref))
}
