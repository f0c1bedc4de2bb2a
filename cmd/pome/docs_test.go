package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestDocsMatchCLI protects the documentation of the command line: every
// pome command line in README.md and docs/*.md (in a code block, in a code
// span of the prose, and in the configuration table of docs/cli.md) names
// commands and flags that exist, and a command line of a code block gives
// its command the arguments it takes, and --yes where no terminal could be
// asked. The other way round, docs/cli.md shows every command in use and
// lists every flag in its configuration table.
func TestDocsMatchCLI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	var cli *docCheck
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(filepath.ToSlash(path), "../../")
		d := checkDoc(name, string(b))
		for _, p := range d.problems {
			t.Error(p)
		}
		if name == "docs/cli.md" {
			cli = d
		}
	}
	if cli == nil {
		t.Fatal("docs/cli.md not found")
	}
	if len(cli.rows) == 0 {
		t.Error("docs/cli.md: no configuration table (| command | flag | ...)")
	}
	for _, p := range cli.missing() {
		t.Error("docs/cli.md: " + p)
	}
}

// TestDocCheckFindsMistakes is the check of TestDocsMatchCLI on made-up
// documents: what it must refuse, and what it must let through.
func TestDocCheckFindsMistakes(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name, doc, want string
	}{
		{"unknown command", "```sh\npome keys frobnicate x\n```\n", `doc.md:2: pome keys frobnicate x: keys: unknown command "frobnicate"`},
		{"unknown top command", "```sh\n$ pome kyes list\nsome output\n```\n", `unknown command "kyes"; did you mean "keys"?`},
		{"unknown flag", "```sh\npome keys list --frob\n```\n", "unknown flag: --frob"},
		{"unknown shorthand", "```sh\npome keys list -z\n```\n", `unknown shorthand flag: "z" in -z`},
		{"flag of another command", "```sh\npome keys get laptop --status all\n```\n", "unknown flag: --status"},
		{"in a substitution", "```sh\nKEY=$(pome keys create ci --rol viewer)\n```\n", "unknown flag: --rol"},
		{"in quotes", "```sh\neval \"$(pome completion bsh)\"\n```\n", `completion: unknown command "bsh"`},
		{"after a pipe", "```sh\npome keys list --json | xargs -n1 pome keys rewoke --yes\n```\n", `unknown command "rewoke"`},
		{"after env", "```sh\nPOME_TEAM=acme pome members lsit\n```\n", `unknown command "lsit"`},
		{"continued", "```sh\npome serve \\\n  --adr 0.0.0.0:8080\n```\n", "doc.md:2: pome serve --adr"},
		{"go run", "```sh\ngo run ./cmd/pome srve\n```\n", `unknown command "srve"`},
		{"missing argument", "```sh\npome keys revoke --yes\n```\n", "keys revoke: missing KEY"},
		{"extra argument", "```sh\npome teams acme\n```\n", `teams: unexpected argument "acme"`},
		{"bad value", "```sh\npome keys usage ci --days seven\n```\n", `invalid argument "seven"`},
		{"no --yes in a script", "```sh\npome keys revoke ci\n```\n", "asks before it acts: a script needs --yes"},
		{"no --yes for grace 0h", "```sh\npome keys roll ci --grace 0h\n```\n", "asks before it acts"},
		{"help of nothing", "```sh\npome help keys frob\n```\n", `keys: unknown command "frob"`},
		{"group help of nothing", "```sh\npome admin help tea\n```\n", `admin: unknown command "tea"`},
		{"code span", "Run `pome keys creat` to make one.\n", "doc.md:1: pome keys creat"},
		{"code span flag", "Then `POME_API_URL=x pome whoami --tokn t` says who.\n", "unknown flag: --tokn"},
		{"table command", "| command | flag | environment |\n|---|---|---|\n| keys lst | `--status` | `POME_STATUS` |\n", `doc.md:3: no command "keys lst"`},
		{"table flag", "| command | flag | environment |\n|---|---|---|\n| keys list | `--stat` | |\n", `doc.md:3: keys list has no flag --stat`},
		{"table env", "| command | flag | environment |\n|---|---|---|\n| whoami | `--token` | `POME_KEY` |\n", "doc.md:3: POME_KEY sets no flag of the row on whoami"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			d := checkDoc("doc.md", tt.doc)
			if !slices.ContainsFunc(d.problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems = %q, want one containing %q", d.problems, tt.want)
			}
		})
	}

	good := "Sign in with `pome login`, then `pome keys create` makes a key; see `pome: <message>`.\n" +
		"```sh\n" +
		"$ pome keys revoke ci-prod\n" +
		"Revoke key key_X5FQfLSUBaHoJ77k (ci-prod)? Its next request is refused. [y/N] y\n" +
		"pome v1.0.0 (commit abc, built today)\n" +
		"$ pome admin team ban acme --data-dir /var/lib/pome --yes   # flags after the arguments\n" +
		"```\n\n" +
		"```sh\n" +
		"pome keys list --status all --json | jq -r '.keys[] | select(.usage_count == 0) | .id' | xargs -n1 pome keys revoke --yes\n" +
		"printf '%s\\n' \"$PASSWORD\" | pome admin user create --email a@example.com --team-name \"Bob's (shop)\"\n" +
		"POME_DATABASE_URL='postgres://x' pome admin --database-url=postgres://y service-token revoke stk_1 -y 2>/dev/null\n" +
		"source <(pome completion bash) && pome completion zsh > \"${fpath[1]}/_pome\"\n" +
		"pome help admin team; pome keys help create; pome keys roll ci --grace 1h -o json\n" +
		"go run github.com/pomehq/pome/cmd/pome@latest version --json\n" +
		"sudo /usr/local/bin/pome admin team unban acme --data-dir=/var/lib/pome\n" +
		"go run ./cmd/pome-bench -phases http\n" +
		"```\n\n" +
		"```go\npome serve(nothing) // not a shell\n```\n\n" +
		wrongOnPurpose + "\n```sh\n$ pome kyes list\npome: unknown command \"kyes\"; did you mean \"keys\"?\n```\n\n" +
		"Sessions go to `~/.config/pome`, built from `cmd/pome`.\n\n" +
		"| command | flag | environment | default |\n|---|---|---|---|\n" +
		"| whoami | `--token` | `POME_API_KEY` (or `POME_TOKEN`) | |\n" +
		"| keys, members | `--output`, `-o` | `POME_OUTPUT` | `table` |\n" +
		"| login, logout | | `POME_CONFIG_DIR` | |\n"
	d := checkDoc("doc.md", good)
	if len(d.problems) > 0 {
		t.Errorf("problems in a right document:\n%s", strings.Join(d.problems, "\n"))
	}
	var got []string
	for _, r := range d.refs {
		got = append(got, strings.Join(r.args, " "))
	}
	want := []string{
		"login", "keys create",
		"keys revoke ci-prod", "admin team ban acme --data-dir /var/lib/pome --yes",
		"keys list --status all --json", "keys revoke --yes",
		"admin user create --email a@example.com --team-name Bob's (shop)",
		"admin --database-url=postgres://y service-token revoke stk_1 -y",
		"completion bash", "completion zsh",
		"help admin team", "keys help create", "keys roll ci --grace 1h -o json",
		"version --json", "admin team unban acme --data-dir=/var/lib/pome",
	}
	if !slices.Equal(got, want) {
		t.Errorf("command lines found:\n%q\nwant:\n%q", got, want)
	}

	// The other way round: what a reference leaves out.
	missing := checkDoc("doc.md", good).missing()
	for _, want := range []string{"pome teams is never shown in use", "--addr of pome serve is in no row of the configuration table"} {
		if !slices.Contains(missing, want) {
			t.Errorf("missing() = %q, want it to hold %q", missing, want)
		}
	}
	for _, shown := range []string{"pome keys revoke is never shown in use", "--token of pome whoami is in no row of the configuration table"} {
		if slices.Contains(missing, shown) {
			t.Errorf("missing() holds %q", shown)
		}
	}
}

// docRef is one pome command line of a document.
type docRef struct {
	line int
	text string   // as written
	args []string // the words after pome
	// script: a line of a code block that is not a transcript ($ ...), so
	// no terminal may be there to answer a question.
	script bool
	// block: from a code block, whole: its arguments are counted.
	block bool
	// appended: xargs adds arguments after those written.
	appended bool
}

// tableRow is a row of a configuration table (| command | flag | environment | ...).
type tableRow struct {
	line     int
	commands []string
	flags    []string
	envs     []string
}

// docCheck is what checkDoc found in a document.
type docCheck struct {
	file     string
	refs     []docRef
	rows     []tableRow
	problems []string
	// used: the paths of the commands the document shows in use.
	used map[string]bool
}

// wrongOnPurpose, on the line before a code block, leaves the block out:
// it shows a mistake and what pome answers.
const wrongOnPurpose = "<!-- wrong on purpose -->"

// notCommands are code spans that start with the word pome but are no
// command line: a log message, a row of the benchmark's output.
var notCommands = map[string]bool{
	"pome listening":      true,
	"pome gateway → bare": true,
}

// checkDoc finds the pome command lines and configuration rows of a
// Markdown document and checks each against the real command tree.
func checkDoc(file, text string) *docCheck {
	d := &docCheck{file: file, used: map[string]bool{}}
	d.refs, d.rows = extractDoc(text)
	for _, r := range d.refs {
		cmd, err := checkRef(r)
		if err != nil {
			d.problems = append(d.problems, fmt.Sprintf("%s:%d: %s: %v", file, r.line, r.text, err))
			continue
		}
		for c := cmd; c != nil; c = c.Parent() {
			d.used[c.CommandPath()] = true
		}
	}
	for _, row := range d.rows {
		for _, p := range checkRow(row) {
			d.problems = append(d.problems, fmt.Sprintf("%s:%d: %s", file, row.line, p))
		}
	}
	return d
}

var (
	fence     = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z-]*)")
	codeSpan  = regexp.MustCompile("`([^`]+)`")
	flagSpan  = regexp.MustCompile("^--?[A-Za-z]")
	envSpan   = regexp.MustCompile("^POME_[A-Z0-9_]+$")
	shellInfo = map[string]bool{"": true, "sh": true, "bash": true, "shell": true, "console": true, "yaml": true, "powershell": true}
)

// extractDoc returns the pome command lines of a Markdown document: those
// of its shell code blocks (in a transcript, only the $ lines; no block
// marked wrongOnPurpose), those of the code spans of its prose, and the
// rows of its configuration tables.
func extractDoc(text string) ([]docRef, []tableRow) {
	var refs []docRef
	var rows []tableRow
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			if row, n, ok := configTable(lines, i); ok {
				rows = append(rows, row...)
				i += n - 1
				continue
			}
			for _, s := range codeSpan.FindAllStringSubmatch(lines[i], -1) {
				if notCommands[s[1]] {
					continue
				}
				refs = append(refs, shellRefs(s[1], i+1, false, false)...)
			}
			continue
		}
		// A code block: its logical lines (a trailing \ continues one) up
		// to the closing fence.
		start := i
		var block []codeLine
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), m[1]); i++ {
			l := codeLine{line: i + 1, text: strings.TrimSpace(lines[i])}
			for strings.HasSuffix(l.text, `\`) && i+1 < len(lines) {
				i++
				l.text = strings.TrimSuffix(l.text, `\`) + " " + strings.TrimSpace(lines[i])
			}
			block = append(block, l)
		}
		if !shellInfo[m[2]] || (start > 0 && strings.TrimSpace(lines[start-1]) == wrongOnPurpose) {
			continue
		}
		transcript := slices.ContainsFunc(block, func(l codeLine) bool { return strings.HasPrefix(l.text, "$ ") })
		for _, l := range block {
			text := l.text
			if transcript {
				if !strings.HasPrefix(text, "$ ") {
					continue // output
				}
				text = strings.TrimPrefix(text, "$ ")
			}
			refs = append(refs, shellRefs(text, l.line, true, !transcript)...)
		}
	}
	return refs, rows
}

// codeLine is a logical line of a code block, and the number of its first
// line in the document.
type codeLine struct {
	line int
	text string
}

// shellRefs returns the pome command lines of one shell line.
func shellRefs(line string, n int, block, script bool) []docRef {
	var refs []docRef
	for _, words := range shellCommands(line) {
		if args, appended, ok := pomeArgs(words); ok {
			refs = append(refs, docRef{line: n, text: strings.Join(append([]string{"pome"}, args...), " "),
				args: args, block: block, script: script, appended: appended})
		}
	}
	return refs
}

// configTable reads the configuration table starting at lines[i], if one
// does: its header is | command | flag | ...; it returns its rows and how
// many lines it takes.
func configTable(lines []string, i int) ([]tableRow, int, bool) {
	head := tableCells(lines[i])
	if len(head) < 3 || head[0] != "command" || head[1] != "flag" {
		return nil, 0, false
	}
	env := slices.Index(head, "environment")
	var rows []tableRow
	n := 2 // the header and the |---| line
	for ; i+n < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+n]), "|"); n++ {
		cells := tableCells(lines[i+n])
		if len(cells) < 2 {
			continue
		}
		row := tableRow{line: i + n + 1}
		for c := range strings.SplitSeq(cells[0], ",") {
			if c = strings.Trim(strings.TrimSpace(c), "`"); c != "" {
				row.commands = append(row.commands, c)
			}
		}
		for _, s := range codeSpan.FindAllStringSubmatch(cells[1], -1) {
			if flagSpan.MatchString(s[1]) {
				row.flags = append(row.flags, s[1])
			}
		}
		if env >= 0 && env < len(cells) {
			for _, s := range codeSpan.FindAllStringSubmatch(cells[env], -1) {
				if envSpan.MatchString(s[1]) {
					row.envs = append(row.envs, s[1])
				}
			}
		}
		rows = append(rows, row)
	}
	return rows, n, true
}

// tableCells splits a Markdown table line into its trimmed cells.
func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil
	}
	cells := strings.Split(strings.Trim(strings.ReplaceAll(line, `\|`, "\x00"), "|"), "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|")
	}
	return cells
}

// pomeArgs returns the arguments of a simple command that runs pome: pome
// itself, ./pome or a path ending in /bin/pome, go run of the package, after variable
// assignments, xargs and its options, or "- run:" (a YAML step).
func pomeArgs(words []string) (args []string, appended, ok bool) {
	isPackage := func(s string) bool {
		s, _, _ = strings.Cut(s, "@")
		return s == "./cmd/pome" || strings.HasSuffix(s, "/cmd/pome")
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case shellAssignment.MatchString(w), w == "-", w == "run:", w == "sudo", w == "exec", w == "env", w == "time":
		case w == "xargs":
			appended = true
			for i+1 < len(words) && strings.HasPrefix(words[i+1], "-") {
				if len(words[i+1]) == 2 && strings.Contains("nILPdsE", words[i+1][1:]) {
					i++ // the option's value
				}
				i++
			}
		case w == "pome" || w == "./pome" || strings.HasSuffix(w, "/bin/pome"):
			return words[i+1:], appended, true
		case w == "go" && i+2 < len(words) && words[i+1] == "run" && isPackage(words[i+2]):
			return words[i+3:], appended, true
		default:
			return nil, false, false
		}
	}
	return nil, false, false
}

var shellAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// shellCommands splits a line of shell into its simple commands (those of
// pipelines and lists, of subshells and of $(...) and <(...)), each as its
// words with the quotes removed and without redirections. It is no shell,
// only enough of one for the command lines of the documentation.
func shellCommands(line string) [][]string {
	p := &shellParser{s: line}
	p.list(false)
	return p.out
}

type shellParser struct {
	s   string
	i   int
	out [][]string
}

var redirection = regexp.MustCompile(`^[0-9]*(>>|<<|>&|<&|&>|>\||>|<)`)

// list reads simple commands up to the end of the line, or when nested up
// to the ")" that closes it.
func (p *shellParser) list(nested bool) {
	var words []string
	flush := func() {
		if len(words) > 0 {
			p.out = append(p.out, words)
			words = nil
		}
	}
	defer flush()
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t':
			p.i++
		case c == '#': // a comment: a word may not start with #
			p.i = len(p.s)
		case c == ')':
			p.i++
			if nested {
				return
			}
		case strings.HasPrefix(p.s[p.i:], "<(") || strings.HasPrefix(p.s[p.i:], ">("):
			p.i += 2
			p.list(true)
			words = append(words, "<(…)")
		case redirection.MatchString(p.s[p.i:]):
			p.i += len(redirection.FindString(p.s[p.i:]))
			for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
				p.i++
			}
			p.word() // the file: no argument
		case c == '|' || c == '&' || c == ';':
			flush()
			p.i++
		case c == '(':
			flush()
			p.i++
			p.list(true)
		default:
			words = append(words, p.word())
		}
	}
}

// word reads one word, its quotes removed; a command substitution in it is
// read as commands of its own.
func (p *shellParser) word() string {
	var b strings.Builder
	subst := func() {
		p.i += 2
		p.list(true)
		b.WriteString("$(…)")
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case strings.ContainsRune(" \t|&;<>()", rune(c)):
			return b.String()
		case c == '\\':
			if p.i+1 < len(p.s) {
				b.WriteByte(p.s[p.i+1])
			}
			p.i += 2
		case c == '\'':
			end := strings.IndexByte(p.s[p.i+1:], '\'')
			if end < 0 {
				end = len(p.s) - p.i - 1
			}
			b.WriteString(p.s[p.i+1 : p.i+1+end])
			p.i += end + 2
		case c == '"':
			for p.i++; p.i < len(p.s) && p.s[p.i] != '"'; {
				switch {
				case p.s[p.i] == '\\' && p.i+1 < len(p.s):
					b.WriteByte(p.s[p.i+1])
					p.i += 2
				case strings.HasPrefix(p.s[p.i:], "$("):
					subst()
				default:
					b.WriteByte(p.s[p.i])
					p.i++
				}
			}
			p.i++ // the closing quote
		case strings.HasPrefix(p.s[p.i:], "$("):
			subst()
		case c == '`':
			end := strings.IndexByte(p.s[p.i+1:], '`')
			if end < 0 {
				end = len(p.s) - p.i - 1
			}
			p.out = append(p.out, shellCommands(p.s[p.i+1:p.i+1+end])...)
			b.WriteString("`…`")
			p.i += end + 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return b.String()
}

// docRoot is the real command tree, as run builds it, with the help
// command in it as Execute would add it.
func docRoot() *cobra.Command {
	root := (&app{getenv: mapEnv(nil)}).newRoot()
	root.InitDefaultHelpCmd()
	return root
}

// checkRef resolves a command line against a fresh command tree (parsing
// flags changes it) and returns the command it runs.
func checkRef(r docRef) (*cobra.Command, error) {
	root := docRoot()
	cmd, pos, help, err := resolveArgs(root, r.args, r.block)
	if err != nil {
		return nil, err
	}
	if !r.block || help {
		return cmd, nil
	}
	if cmd.Args != nil && !(r.appended && len(pos) == 0) {
		if err := cmd.Args(cmd, pos); err != nil {
			return nil, err
		}
	}
	if r.script && needsYes(cmd) {
		return nil, fmt.Errorf("%sasks before it acts: a script needs --yes", where(cmd))
	}
	return cmd, nil
}

// resolveArgs finds the command that args run under from, and checks its
// flags: an unknown command word or flag is an error, and with strict so is
// a flag's bad or missing value. It returns the command, its positional
// arguments, and whether only its help is asked for (--help, or "help"
// followed to the command it shows).
func resolveArgs(from *cobra.Command, args []string, strict bool) (*cobra.Command, []string, bool, error) {
	cmd, rest, err := from.Find(args)
	if err != nil {
		return nil, nil, false, err
	}
	cmd.InitDefaultHelpFlag()
	pos, flagErr := splitFlags(cmd, rest)
	switch {
	case cmd.Name() == "help" && cmd.Parent() == cmd.Root():
		target, _, _, err := resolveArgs(cmd.Root(), rest, strict)
		return target, nil, true, err
	case cmd.HasSubCommands() && len(pos) > 0 && pos[0] == "help":
		i := slices.Index(rest, "help")
		target, _, _, err := resolveArgs(cmd, append(slices.Clone(rest[:i]), rest[i+1:]...), strict)
		return target, nil, true, err
	case cmd.HasSubCommands() && len(pos) > 0:
		return nil, nil, false, unknownCommand(cmd, pos[0])
	case flagErr != nil:
		return nil, nil, false, flagErr
	}
	if strict {
		if err := cmd.ParseFlags(rest); err != nil {
			return nil, nil, false, err
		}
	}
	help := slices.Contains(rest, "--help") || slices.Contains(rest, "-h")
	return cmd, pos, help, nil
}

// splitFlags returns the positional arguments of args, as cmd would parse
// them, and the first flag cmd does not have. It does not parse the flags'
// values: a code span may show one as a placeholder (--team SLUG).
func splitFlags(cmd *cobra.Command, args []string) (pos []string, err error) {
	cmd.InheritedFlags() // merges the persistent flags into Flags
	fs := cmd.Flags()
	unknown := func(format string, a ...any) {
		if err == nil {
			err = fmt.Errorf(format, a...)
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), err
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			f := fs.Lookup(name)
			if f == nil {
				unknown("unknown flag: --%s", name)
			} else if !hasValue && f.NoOptDefVal == "" {
				i++ // its value
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ { // -y, -o wide, -owide
				f := fs.ShorthandLookup(a[j : j+1])
				if f == nil {
					unknown("unknown shorthand flag: %q in %s", a[j:j+1], a)
					break
				}
				if f.NoOptDefVal == "" {
					if j+1 == len(a) {
						i++ // its value
					}
					break
				}
			}
		default:
			pos = append(pos, a)
		}
	}
	return pos, err
}

// needsYes reports whether cmd, with the flags parsed, would ask before it
// acts: a command with --yes not given (keys roll only with --grace 0h).
func needsYes(cmd *cobra.Command) bool {
	yes := cmd.Flags().Lookup("yes")
	if yes == nil || yes.Changed {
		return false
	}
	if grace := cmd.Flags().Lookup("grace"); grace != nil {
		hours, err := parseGrace(grace.Value.String())
		return err == nil && hours == 0
	}
	return true
}

// checkRow checks a row of the configuration table: its commands exist,
// each has the row's flags, and each variable of the row sets one of them.
func checkRow(row tableRow) []string {
	var problems []string
	for _, name := range row.commands {
		cmd := findCommand(docRoot(), name)
		if cmd == nil {
			problems = append(problems, fmt.Sprintf("no command %q", name))
			continue
		}
		var flags []*pflag.Flag
		for _, f := range row.flags {
			if fl := lookupFlag(cmd, f); fl != nil {
				flags = append(flags, fl)
			} else {
				problems = append(problems, fmt.Sprintf("%s has no flag %s", name, f))
			}
		}
		if len(row.flags) == 0 {
			continue // variables read for no flag (POME_CONFIG_DIR, NO_COLOR)
		}
		for _, e := range row.envs {
			if !slices.ContainsFunc(flags, func(f *pflag.Flag) bool { return slices.Contains(envNames(f), e) }) {
				problems = append(problems, fmt.Sprintf("%s sets no flag of the row on %s", e, name))
			}
		}
	}
	return problems
}

// findCommand returns the command a table names ("keys list", "pome" for
// the root), or nil.
func findCommand(root *cobra.Command, name string) *cobra.Command {
	words := strings.Fields(name)
	if len(words) > 0 && words[0] == "pome" {
		words = words[1:]
	}
	cmd := root
	for _, w := range words {
		i := slices.IndexFunc(cmd.Commands(), func(c *cobra.Command) bool { return c.Name() == w })
		if i < 0 {
			return nil
		}
		cmd = cmd.Commands()[i]
	}
	return cmd
}

// lookupFlag returns cmd's flag written as --name or -x, its own or
// inherited, or nil.
func lookupFlag(cmd *cobra.Command, written string) *pflag.Flag {
	cmd.InitDefaultHelpFlag()
	cmd.InheritedFlags() // merges the persistent flags of cmd and its parents into Flags
	if name, ok := strings.CutPrefix(written, "--"); ok {
		return cmd.Flags().Lookup(name)
	}
	return cmd.Flags().ShorthandLookup(strings.TrimPrefix(written, "-"))
}

// missing returns what of the command tree the document leaves out: a
// command never shown in use, a flag in no row of its configuration table.
// Hidden commands, help and the shells of completion need not be shown.
func (d *docCheck) missing() []string {
	listed := map[string]map[string]bool{}
	for _, row := range d.rows {
		for _, name := range row.commands {
			if cmd := findCommand(docRoot(), name); cmd != nil {
				if listed[cmd.CommandPath()] == nil {
					listed[cmd.CommandPath()] = map[string]bool{}
				}
				for _, f := range row.flags {
					if fl := lookupFlag(cmd, f); fl != nil {
						listed[cmd.CommandPath()][fl.Name] = true
					}
				}
			}
		}
	}
	var out []string
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Hidden || (cmd.Name() == "help" && cmd.Parent() == cmd.Root()) {
			return
		}
		path := cmd.CommandPath()
		if !d.used[path] {
			out = append(out, fmt.Sprintf("%s is never shown in use", path))
		}
		if cmd.Name() == "completion" {
			return // its shells, and their --no-descriptions, are cobra's
		}
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !listed[path][f.Name] {
				out = append(out, fmt.Sprintf("--%s of %s is in no row of the configuration table", f.Name, path))
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(docRoot())
	return out
}
