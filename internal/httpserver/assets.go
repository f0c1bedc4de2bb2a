package httpserver

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// The dashboard's files: html/template pages and the CSS and JavaScript they
// load, embedded in the binary. There is no build step.
var (
	//go:embed templates/*.html
	templateFiles embed.FS
	//go:embed static
	staticFiles embed.FS
)

// Parsed once, when the program starts: a template that does not parse fails
// the start, never a request.
var (
	assets = mustLoadAssets(staticFiles)
	pages  = mustParsePages(templateFiles)
)

// staticAsset is one embedded static file, with what its responses need.
type staticAsset struct {
	body        []byte
	contentType []string
	etag        []string
	version     string // the first hex digits of its SHA-256, in its URL
}

// Static files are cached for a year under a versioned URL: a new build with
// a changed file changes the URL.
var cacheImmutable = []string{"public, max-age=31536000, immutable"}

func mustLoadAssets(fsys embed.FS) map[string]*staticAsset {
	out := make(map[string]*staticAsset)
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v := hex.EncodeToString(sum[:])[:12]
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = &staticAsset{
			body: b, contentType: []string{ct}, etag: []string{`"` + v + `"`}, version: v,
		}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("httpserver: load static files: %v", err))
	}
	return out
}

// assetURL is the versioned URL of a static file; an unknown name panics
// while the templates execute, which the template tests catch.
func assetURL(name string) (string, error) {
	a, ok := assets[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + a.version, nil
}

// handleStatic answers GET /static/{name}: an embedded file, or the JSON 404.
func handleStatic(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("name")]
		if !ok {
			writeError(w, r, log, httpapi.ErrRouteNotFound)
			return
		}
		h := w.Header()
		h["Content-Type"] = a.contentType
		h["Etag"] = a.etag
		h["Cache-Control"] = cacheImmutable
		if r.Header.Get("If-None-Match") == a.etag[0] {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(a.body)
	})
}

// The page templates: each page file is parsed with the layout and the
// shared partials, and executed by its name.
var pageNames = []string{"signin", "signup", "keys", "key", "settings", "usage", "audit", "error", "account", "reset", "invite", "webhook"}

func mustParsePages(fsys fs.FS) map[string]*template.Template {
	funcs := template.FuncMap{
		"asset":          assetURL,
		"isoTime":        isoTime,
		"exactTime":      exactTime,
		"roleLabel":      roleLabel,
		"plural":         plural,
		"newKeyPolicies": newKeyPolicies,
		"lifetimeChoice": func(d time.Duration) string {
			if d == 0 {
				return "Never, as the old key"
			}
			return fmt.Sprintf("In %s, the old key's lifetime", plural(int((d+24*time.Hour-1)/(24*time.Hour)), "day"))
		},
		"seconds": func(d time.Duration) int { return int(d / time.Second) },
		"millis": func(d time.Duration) string {
			return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
		},
		"count": thousands,
		"actionLabel": func(a string) string {
			if l, ok := auditActionLabels[a]; ok {
				return l
			}
			return a
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/partials.html"))
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(fsys, "templates/"+name+".html"))
	}
	return out
}

// isoTime is t as an RFC 3339 UTC time, for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// exactTime is t to the second, in UTC, for people.
func exactTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04:05 UTC") }

func roleLabel(r pome.Role) string {
	switch r {
	case pome.RoleOwner:
		return "Owner"
	case pome.RoleAdmin:
		return "Admin"
	case pome.RoleDeveloper:
		return "Developer"
	case pome.RoleViewer:
		return "Viewer"
	}
	return string(r)
}

// auditActionLabels says in words what each audit action records.
var auditActionLabels = map[string]string{
	pome.AuditSignup:            "Signed up",
	pome.AuditLogin:             "Signed in",
	pome.AuditLogout:            "Signed out",
	pome.AuditKeyCreated:        "Created API key",
	pome.AuditKeyRevoked:        "Revoked API key",
	pome.AuditKeyRolled:         "Rolled API key",
	pome.AuditKeyExpired:        "Expired key used",
	pome.AuditMemberAdded:       "Added member",
	pome.AuditMemberRoleChanged: "Changed member role",
	pome.AuditMemberRemoved:     "Removed member",
	pome.AuditTeamBanned:        "Team banned",
	pome.AuditTeamUnbanned:      "Team unbanned",
	pome.AuditTeamPlanChanged:   "Plan changed",
	pome.AuditRateLimited:       "Rate limit exceeded",
	pome.AuditMemberInvited:     "Invited member",
	pome.AuditInvitationRevoked: "Revoked invitation",
	pome.AuditWebhookCreated:    "Added webhook endpoint",
	pome.AuditWebhookDeleted:    "Deleted webhook endpoint",
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
