package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// TestUsageErrors protects the exit statuses of docs/api.md: a mistake in how
// pome is called is 2, with a message that says what to do, and nothing is
// started or opened.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		inStderr string
	}{
		{"no command", nil, nil, 2, "Usage: pome"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", nil, []string{"help"}, 0, ""},
		{"serve help", nil, []string{"serve", "--help"}, 0, "Examples:"},
		{"serve unknown flag", nil, []string{"serve", "--nope"}, 2, "unknown flag: --nope"},
		{"serve database url not postgres", nil, []string{"serve", "--data-dir", dir, "--database-url", "mysql://x"}, 2, "must be a postgres:// or postgresql:// URL"},
		{"serve database url from env", map[string]string{"POME_DATABASE_URL": "sqlite://x"}, []string{"serve", "--data-dir", dir}, 2, "must be a postgres:// or postgresql:// URL"},
		{"serve redis url not redis", nil, []string{"serve", "--data-dir", dir, "--redis-url", "memcached://x"}, 2, "must be a redis:// or rediss:// URL"},
		{"serve bad signup", nil, []string{"serve", "--data-dir", dir, "--signup", "maybe"}, 2, "--signup must be open or closed"},
		{"serve bad signup from env", map[string]string{"POME_SIGNUP": "maybe"}, []string{"serve", "--data-dir", dir}, 2, "--signup must be open or closed"},
		{"serve bad key prefix", nil, []string{"serve", "--data-dir", dir, "--key-prefix", "PME"}, 2, "--key-prefix"},
		{"serve stray argument", nil, []string{"serve", "now"}, 2, `serve: unexpected argument "now"`},
		{"serve bad bool from env", map[string]string{"POME_SECURE_COOKIES": "sometimes"}, []string{"serve"}, 2, "invalid value in POME_SECURE_COOKIES"},
		{"serve metrics addr without port", nil, []string{"serve", "--data-dir", dir, "--metrics-addr", "127.0.0.1"}, 2, `--metrics-addr "127.0.0.1" must be HOST:PORT`},
		{"serve metrics addr from env", map[string]string{"POME_METRICS_ADDR": "nope"}, []string{"serve", "--data-dir", dir}, 2, `--metrics-addr "nope" must be HOST:PORT`},
		{"serve public url relative", nil, []string{"serve", "--data-dir", dir, "--public-url", "keys.example.com"}, 2, `--public-url "keys.example.com" must be an absolute http:// or https:// URL`},
		{"serve public url not http", nil, []string{"serve", "--data-dir", dir, "--public-url", "ftp://keys.example.com"}, 2, "must be an absolute http:// or https:// URL"},
		{"serve public url with a path", nil, []string{"serve", "--data-dir", dir, "--public-url", "https://example.com/pome"}, 2, "with no path, query or fragment"},
		{"serve public url with a query", nil, []string{"serve", "--data-dir", dir, "--public-url", "https://keys.example.com/?a=b"}, 2, "with no path, query or fragment"},
		{"serve public url with an empty query", nil, []string{"serve", "--data-dir", dir, "--public-url", "https://keys.example.com?"}, 2, "with no path, query or fragment"},
		{"serve public url with a fragment", nil, []string{"serve", "--data-dir", dir, "--public-url", "https://keys.example.com/#top"}, 2, "with no path, query or fragment"},
		{"serve public url with a user", nil, []string{"serve", "--data-dir", dir, "--public-url", "https://me@keys.example.com"}, 2, "must be an absolute"},
		{"serve public url from env", map[string]string{"POME_PUBLIC_URL": "/keys"}, []string{"serve", "--data-dir", dir}, 2, `--public-url "/keys" must be an absolute`},
		{"serve public url http with secure cookies", nil, []string{"serve", "--data-dir", dir, "--public-url", "http://keys.example.com", "--secure-cookies"}, 2, "is http://, but --secure-cookies says the deployment is served over HTTPS"},
		{"serve public url http with tls", nil, []string{"serve", "--data-dir", dir, "--public-url", "http://keys.example.com", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, 2, "is http://, but Pome serves HTTPS itself"},
		{"serve tls cert without key", nil, []string{"serve", "--data-dir", dir, "--tls-cert", "c.pem"}, 2, "--tls-cert and --tls-key go together"},
		{"serve tls key without cert", map[string]string{"POME_TLS_KEY": "k.pem"}, []string{"serve", "--data-dir", dir}, 2, "--tls-cert and --tls-key go together"},
		{"serve tls domain and cert", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "keys.example.com", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, 2, "--tls-domain and --tls-cert exclude each other"},
		{"serve tls domain with scheme", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "https://keys.example.com"}, 2, `--tls-domain "https://keys.example.com" must be a host name`},
		{"serve tls domain with port", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "keys.example.com:443"}, 2, "must be a host name"},
		{"serve tls domain wildcard", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "keys.example.com,*.example.com"}, 2, `--tls-domain "*.example.com" must be a host name`},
		{"serve tls domain empty in list", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "keys.example.com,"}, 2, `--tls-domain "" must be a host name`},
		{"serve tls domain ip", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "192.0.2.1"}, 2, "must be a host name"},
		{"serve acme http addr without port", nil, []string{"serve", "--data-dir", dir, "--tls-domain", "keys.example.com", "--acme-http-addr", "80"}, 2, `--acme-http-addr "80" must be HOST:PORT`},
		{"whoami help", nil, []string{"whoami", "--help"}, 0, "POME_API_KEY"},
		{"whoami no key", nil, []string{"whoami"}, 2, "no API key (set POME_API_KEY or pass --token)"},
		{"whoami bad url", map[string]string{"POME_API_KEY": "pme_x"}, []string{"whoami", "--api-url", "ftp://x"}, 2, "must be an http:// or https:// URL"},
		{"admin help", nil, []string{"admin", "--help"}, 0, "service-token"},
		{"admin team help", nil, []string{"admin", "team", "--help"}, 0, "set-plan"},
		{"admin no command", nil, []string{"admin", "--data-dir", dir}, 2, "Usage: pome admin"},
		{"admin flag after the arguments", nil, []string{"admin", "team", "set-plan", "acme", "gold", "--data-dir", dir}, 2, "the plan must be free, pro or enterprise"},
		{"admin unknown command", nil, []string{"admin", "--data-dir", dir, "team", "delete", "acme"}, 2, `admin team: unknown command "delete"`},
		{"did you mean", nil, []string{"admin", "team", "bna", "acme"}, 2, `did you mean "ban"?`},
		{"did you mean at the top", nil, []string{"kyes", "list"}, 2, `did you mean "keys"?`},
		{"flag without its value", nil, []string{"keys", "list", "--status"}, 2, "flag needs an argument: --status"},
		{"admin database url not postgres", nil, []string{"admin", "--database-url", "mysql://x", "team", "ban", "acme"}, 2, "must be a postgres://"},
		{"admin user create help", nil, []string{"admin", "user", "create", "--help"}, 0, "read from stdin"},
		{"admin user create no email", nil, []string{"admin", "--data-dir", dir, "user", "create"}, 2, "--email is required"},
		{"admin team ban help", nil, []string{"admin", "team", "ban", "--help"}, 0, "Examples:"},
		{"admin team ban no slug", nil, []string{"admin", "--data-dir", dir, "team", "ban"}, 2, "admin team ban: missing SLUG"},
		{"admin set-plan bad plan", nil, []string{"admin", "--data-dir", dir, "team", "set-plan", "acme", "gold"}, 2, "plan must be free, pro or enterprise"},
		{"admin set-plan missing plan", nil, []string{"admin", "--data-dir", dir, "team", "set-plan", "acme"}, 2, "admin team set-plan: missing PLAN"},
		{"help of an unknown command", nil, []string{"help", "keys", "frob"}, 2, `keys: unknown command "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", tt.args...)
			if r.code != tt.code {
				t.Fatalf("pome %v: exit %d, want %d\nstderr:\n%s", tt.args, r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr+r.stdout, tt.inStderr) {
				t.Errorf("pome %v: output does not contain %q\nstderr:\n%s", tt.args, tt.inStderr, r.stderr)
			}
		})
	}
}

// TestEnvFlags protects the configuration rule: every flag is also read
// from POME_<FLAG> (or a variable its annotation names first), and the
// command line wins over the environment.
func TestEnvFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantDir   string
		wantToken string
	}{
		{"defaults", nil, nil, "./pome-data", ""},
		{"env", map[string]string{"POME_DATA_DIR": "/env", "POME_TOKEN": "t-env"}, nil, "/env", "t-env"},
		{"flag wins over env", map[string]string{"POME_DATA_DIR": "/env"}, []string{"--data-dir", "/flag"}, "/flag", ""},
		{"alias first", map[string]string{"POME_API_KEY": "t-alias", "POME_TOKEN": "t-own"}, nil, "./pome-data", "t-alias"},
		{"flag wins over alias", map[string]string{"POME_API_KEY": "t-alias"}, []string{"--token", "t-flag"}, "./pome-data", "t-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{getenv: mapEnv(tt.env)}
			cmd := &cobra.Command{Use: "test"}
			var s storageFlags
			s.register(cmd.Flags())
			token := cmd.Flags().String("token", "", "")
			cmd.Flags().SetAnnotation("token", envAnnotation, []string{"POME_API_KEY"})
			if err := cmd.Flags().Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := a.applyEnv(cmd); err != nil {
				t.Fatalf("applyEnv: %v", err)
			}
			if s.dataDir != tt.wantDir || *token != tt.wantToken {
				t.Errorf("data-dir, token = %q, %q; want %q, %q", s.dataDir, *token, tt.wantDir, tt.wantToken)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"usage", usagef("x"), 2},
		{"api", &client.Error{Err: pome.ErrInvalidAPIKey, Status: 401}, 1},
		{"other", io.ErrUnexpectedEOF, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
