package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

func (a *app) keysReportLeakCmd(t *teamAPI) *cobra.Command {
	return &cobra.Command{
		Use:   "report-leak KEY",
		Short: "report a key found published: the server revokes it if it is active",
		Long: `Reports a key you found published (in a repository, a paste, a log) to the
server, as anyone may, signed in or not (POST /v1/keys/report-leak): an
active key of that server is revoked at once, and its team's audit log
records key.leaked. The server answers the same whatever the key was, so
this tells only that the report was received. KEY "-" reads the key from
stdin (one line), which keeps it out of the shell's history.`,
		Example: `  pome keys report-leak pme_... --api-url https://keys.example.com
  pbpaste | pome keys report-leak - --api-url https://keys.example.com`,
		Args: exactArgs("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[0]
			if key == "-" {
				var err error
				if key, err = readKeyLine(a.stdin); err != nil {
					return err
				}
			}
			base, err := t.server.base(a)
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd)
			defer cancel()
			if err := client.New(base, client.WithUserAgent(userAgent)).ReportLeak(ctx, key); err != nil {
				return err
			}
			return t.print(client.LeakReport{Status: client.LeakReceived}, func(out *output, _ bool) error {
				_, err := fmt.Fprintf(out.w, "Reported to %s: if it was an active key there, it is revoked now.\n", base)
				return err
			})
		},
	}
}

// readKeyLine reads the key of report-leak - from stdin: one line.
func readKeyLine(stdin io.Reader) (string, error) {
	if stdin == nil {
		return "", usagef("keys report-leak: give the key on stdin, one line")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if key := strings.TrimSpace(line); key != "" && (err == nil || err == io.EOF) {
		return key, nil
	}
	return "", usagef("keys report-leak: give the key on stdin, one line")
}
