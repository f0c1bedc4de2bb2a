package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/internal/buildinfo"
)

// versionLine is what `pome version` and `pome --version` print.
func versionLine() string { return buildinfo.Read().String() }

func (a *app) versionCmd() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "version",
		Short: "show the version, commit and build date of this binary",
		Long: `Shows the version of this binary: a release's version, commit and build
date, or for a build from source the module version and the commit the go
command recorded. Also: pome --version.`,
		Example: `  pome version
  pome version --json | jq -r .commit`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if out.json {
				return printJSON(a.stdout, buildinfo.Read())
			}
			_, err := fmt.Fprintln(a.stdout, versionLine())
			return err
		},
	}
	out.register(cmd.Flags(), false)
	return cmd
}
