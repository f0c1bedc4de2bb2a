package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// adminResetPasswordCmd is `pome admin user reset-password EMAIL`: a
// one-time link for the operator to hand over.
func (a *app) adminResetPasswordCmd(st *storageFlags) *cobra.Command {
	var publicURL string
	cmd := &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "print a one-time link that sets a user's password, for you to hand over",
		Long: `Makes a password reset link for the user with EMAIL and prints it: it works
once, for 24 hours, and replaces any earlier link of theirs. Opening it shows a
form for a new password; setting one signs the user out everywhere. Only the
link's digest is stored: it cannot be printed again, only replaced.

With --public-url (POME_PUBLIC_URL), the server's address, the whole link is
printed; without, its path (/reset/...), to put after the server's URL. The
link goes to stdout, alone; what it is goes to stderr.`,
		Example: `  pome admin user reset-password alice@example.com --public-url https://keys.example.com
  POME_DATABASE_URL=postgres://pome@db/pome pome admin user reset-password alice@example.com`,
		Args: exactArgs("EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := st.check(); err != nil {
				return err
			}
			base := ""
			if publicURL != "" {
				var err error
				if base, err = parsePublicURL(publicURL); err != nil {
					return err
				}
			}
			accounts, closeStore, err := openAccounts(cmd, st, false)
			if err != nil {
				return err
			}
			defer closeStore()
			token, r, err := accounts.IssueReset(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			where := "Open it in a browser"
			if base == "" {
				where = "Put the server's URL before it (https://keys.example.com/reset/...; --public-url prints it whole) and open it in a browser"
			}
			fmt.Fprintf(a.stderr, "Password reset link for %s (%s): it works once, until %s, and replaces any earlier link.\n%s; hand it over privately.\n",
				printable(args[0]), r.UserID, r.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), where)
			_, err = fmt.Fprintf(a.stdout, "%s/reset/%s\n", base, token)
			return err
		},
	}
	cmd.Flags().StringVar(&publicURL, "public-url", "", "the server's `URL` (https://keys.example.com), to print the whole link")
	return cmd
}
