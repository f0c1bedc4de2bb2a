package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command tree is built on cobra, as gh, kubectl and the Stripe CLI
// are: flags before or after arguments at every level, --help on every
// command and group, "did you mean", shell completion. This file holds
// what every command shares; each command is a constructor on app, in the
// file of its group (keys.go, members.go, admin.go, ...). Adding one is a
// cobra.Command with Use, Short, Long, Example and a RunE, added to its
// group in newRoot: its flags are read from POME_<FLAG> and its mistakes
// are exit 2 without more code (TestHelpEverywhere and TestDocsMatchCLI
// walk every command).

// app is what every command reaches: the environment and the standard
// streams. Tests pass their own, so that run never touches the real ones.
type app struct {
	getenv env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// started: the command's flags and arguments were right and it began
	// its work; any error before is a usage error.
	started bool
}

// env reads an environment variable; tests pass a map's lookup instead of
// os.Getenv.
type env func(string) string

// envAnnotation is a flag's annotation naming environment variables read
// for it before its own POME_<FLAG> (POME_API_KEY for --token).
const envAnnotation = "pome-env"

func (a *app) newRoot() *cobra.Command {
	root := a.group("pome <command>", "Pome: API keys for your platform's customers",
		`One binary: the server, the operator's tool, and a command line for people
and scripts.`,
		`  pome serve --addr 127.0.0.1:8080 --data-dir ./pome-data
  pome login --api-url http://127.0.0.1:8080
  KEY=$(pome keys create ci-deploy)`,
		a.serveCmd(),
		a.whoamiCmd(),
		a.loginCmd(),
		a.logoutCmd(),
		a.passwordCmd(),
		a.userSessionsCmd(),
		a.keysCmd(),
		a.membersCmd(),
		a.webhooksCmd(),
		a.teamsCmd(),
		a.usageCmd(),
		a.auditCmd(),
		a.adminCmd(),
		a.platformCmd(),
		a.versionCmd(),
		a.healthcheckCmd(),
	)
	root.Version = versionLine()
	root.SilenceErrors = true // run reports errors, with their exit status
	root.SilenceUsage = true
	// A command starts once its flags and arguments are right: any error
	// before this is a usage error (exit 2).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := a.applyEnv(cmd); err != nil {
			return err
		}
		a.started = true
		return nil
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpTemplate(`{{.UsageString}}`)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.SetHelpCommand(a.helpCmd())
	root.Flags().BoolP("version", "v", false, "show the version of this binary")
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" { // cobra's, made like the others
			c.Use = "completion <shell>"
			c.Short = "print the shell completion script for bash, zsh, fish or powershell"
			c.Example = `  source <(pome completion bash)
  pome completion zsh > "${fpath[1]}/_pome"
  pome completion fish > ~/.config/fish/completions/pome.fish`
			a.makeGroup(c)
		}
	}
	return root
}

// usageTemplate is the help of every command (on stdout) and the usage
// shown after a mistake (on stderr): what to type, what it does, its
// subcommands, flags and examples.
const usageTemplate = `Usage: {{.UseLine}}{{with .Long}}

{{.}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }}  {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Inherited flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}

Every flag but --yes and --force can also be set as POME_<FLAG> (--data-dir as
POME_DATA_DIR); the command line wins.{{if .HasAvailableSubCommands}} Run '{{.CommandPath}} <command> --help' for more.{{end}}
`

// group returns a command that only holds others: alone, it shows its
// usage and fails; followed by an unknown word, it says so and suggests
// the nearest command.
func (a *app) group(use, short, long, example string, cmds ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Long: long, Example: example}
	g.AddCommand(cmds...)
	a.makeGroup(g)
	return g
}

// makeGroup gives g a group's behaviour (see group).
func (a *app) makeGroup(g *cobra.Command) {
	g.SuggestionsMinimumDistance = 2
	g.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 && args[0] != "help" {
			return unknownCommand(cmd, args[0])
		}
		return nil
	}
	g.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 { // pome keys help [create]
			return showHelp(cmd, args[1:])
		}
		fmt.Fprint(a.stderr, cmd.UsageString())
		return &usageError{msg: where(cmd) + "missing command", quiet: true}
	}
}

// unknownCommand is the usage error of a word that is no subcommand of cmd.
func unknownCommand(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("%sunknown command %q", where(cmd), word)
	if s := cmd.SuggestionsFor(word); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usagef("%s", msg)
}

// helpCmd is `pome help [command...]`: the help of any command, on stdout.
func (a *app) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "show the help of any command",
		Example: `  pome help keys create
  pome help admin team`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, _, err := cmd.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, c := range parent.Commands() {
				if c.IsAvailableCommand() && strings.HasPrefix(c.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return showHelp(cmd.Root(), args)
		},
	}
}

// showHelp prints the help of the command that args name under from, on
// stdout; a word that names none is a usage error.
func showHelp(from *cobra.Command, args []string) error {
	target, rest, err := from.Find(args)
	if err != nil {
		return usagef("help: %s", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if pos := nonFlags(rest); len(pos) > 0 {
		return unknownCommand(target, pos[0])
	}
	target.InitDefaultHelpFlag()
	return target.Help()
}

// nonFlags returns the words of args that are not flags.
func nonFlags(args []string) []string {
	var out []string
	for _, s := range args {
		if !strings.HasPrefix(s, "-") {
			out = append(out, s)
		}
	}
	return out
}

// applyEnv sets every flag of cmd not given on the command line from its
// environment variables: those its annotation names, then POME_<FLAG>. The
// command line wins.
func (a *app) applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || noEnv[f.Name] || f.Annotations[noEnvAnnotation] != nil {
			return
		}
		for _, name := range envNames(f) {
			v := a.getenv(name)
			if v == "" {
				continue
			}
			// The value is not echoed: it may be a secret.
			if cmd.Flags().Set(f.Name, v) != nil {
				err = usagef("invalid value in %s for --%s", name, f.Name)
			}
			return
		}
	})
	return err
}

// noEnv are the flags the environment never sets: --yes above all, so
// that only a command's own line can answer its question, and --force,
// so that no variable left set replaces a file.
var noEnv = map[string]bool{"help": true, "version": true, "yes": true, "force": true}

// envNames lists the variables read for f, first found wins.
func envNames(f *pflag.Flag) []string {
	own := "POME_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
	return append(append([]string(nil), f.Annotations[envAnnotation]...), own)
}

// exactArgs checks that a command was given exactly the arguments its Use
// line names (e.g. "ID", "SLUG PLAN"), and says which is missing.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef("%smissing %s", where(cmd), strings.Join(names[len(args):], " "))
		case len(args) > len(names):
			return usagef("%sunexpected argument %q", where(cmd), args[len(names)])
		}
		return nil
	}
}

// where names cmd at the start of a message ("keys create: "), the root
// by nothing: every message is printed after "pome: ".
func where(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") + ": "
}

// noArgs refuses any positional argument.
var noArgs = exactArgs()

// withTimeout bounds one command's calls: a CLI must not hang on a dead
// server.
func withTimeout(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), apiTimeout)
}

// apiTimeout bounds one command's calls to a server.
const apiTimeout = 30 * time.Second
