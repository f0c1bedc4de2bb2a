package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

// healthcheckTimeout bounds `pome healthcheck`: a server that does not
// answer /healthz within it is unhealthy (Docker's own timeout is 30 s).
const healthcheckTimeout = 5 * time.Second

func (a *app) healthcheckCmd() *cobra.Command {
	var apiURL string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "exit 0 if a server answers GET /healthz, 1 if not",
		Long: `Asks a Pome server for GET /healthz: exits 0 when it answers 200, else 1
with the reason on stderr. It is the health check of Pome's container image,
which has no curl. It asks http://127.0.0.1:8080 unless given --api-url
(never the server of pome login: it checks the server beside it).`,
		Example: `  pome healthcheck
  pome healthcheck --api-url https://keys.example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := parseAPIURL(apiURL)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), healthcheckTimeout)
			defer cancel()
			return client.New(base, client.WithUserAgent(userAgent)).Healthz(ctx)
		},
	}
	cmd.Flags().StringVar(&apiURL, "api-url", defaultAPIURL, "base `URL` of the Pome server to check")
	return cmd
}
