package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/servicetoken"
)

const serviceTokenUsage = `Usage: pome admin service-token create NAME
       pome admin service-token list
       pome admin service-token revoke ID

Manages the service tokens that backends send (Authorization: Bearer
pst_...) to POST /v1/keys/verify. A token is shown once, at creation; only
its digest is stored. Revoking one stops it on every running server within a
second. Creations and revocations are in the audit log, by the system actor.
See docs/protect.md.

Example:
  TOKEN=$(pome admin service-token create billing-service)
  pome admin service-token revoke stk_1a2B3c4D5e6F7g8H
`

func adminServiceToken(ctx context.Context, storage storageFlags, verb string, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("service-token "+verb, serviceTokenUsage, stderr)
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	want := 1
	if verb == "list" {
		want = 0
	}
	if fs.NArg() != want {
		fs.Usage()
		return &usageError{msg: "service-token " + verb + ": wrong arguments", quiet: true}
	}
	store, err := node.OpenStore(ctx, storage.storage(false))
	if err != nil {
		return err
	}
	defer store.Close()
	tokens := servicetoken.New(store, time.Now)
	switch verb {
	case "create":
		c, err := tokens.Create(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		what := fmt.Sprintf("Created service token %s (%s).", c.Token.ID, cell(c.Token.Name))
		return showKeyOnce(newOutput(stdout, getenv), stderr, what, c.Plaintext)
	case "list":
		list, err := tokens.List(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			_, err := fmt.Fprintln(stdout, "No service tokens.")
			return err
		}
		tw := newTable(stdout)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tSTATUS")
		for _, st := range list {
			status := "active"
			if st.RevokedAt != nil {
				status = "revoked " + timeCell(*st.RevokedAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.ID, cell(st.Name), st.Prefix, timeCell(st.CreatedAt), status)
		}
		return tw.Flush()
	default: // revoke
		st, err := tokens.Revoke(ctx, fs.Arg(0))
		if errors.Is(err, pome.ErrServiceTokenNotFound) {
			return fmt.Errorf("no service token with id %q", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "Revoked service token %s (%s).\n", st.ID, cell(st.Name))
		return err
	}
}
