package httpserver

import (
	"testing"
	"testing/fstest"
	"time"
)

// A template that does not parse stops the program as it starts (the pages
// are parsed at package initialization), never a request later.
func TestBadTemplateFailsStart(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"templates/layout.html":   {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"templates/partials.html": {Data: []byte(``)},
	}
	for _, name := range pageNames {
		files["templates/"+name+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}ok{{end}}`)}
	}
	mustParsePages(files) // well-formed: no panic

	files["templates/keys.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{if}}{{end}}`)}
	defer func() {
		if recover() == nil {
			t.Error("mustParsePages with a broken template did not panic")
		}
	}()
	mustParsePages(files)
}

func TestRelative(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-30 * time.Second, "just now"},
		{-time.Minute, "1 minute ago"},
		{-3 * time.Minute, "3 minutes ago"},
		{-59 * time.Minute, "59 minutes ago"},
		{-2 * time.Hour, "2 hours ago"},
		{-30 * time.Hour, "30 hours ago"},
		{-3 * 24 * time.Hour, "3 days ago"},
		{-90 * 24 * time.Hour, "3 months ago"},
		{-800 * 24 * time.Hour, "2 years ago"},
		{time.Hour, "in 1 hour"},
		{30 * 24 * time.Hour, "in 30 days"},
	} {
		if got := relative(now, now.Add(c.d)); got != c.want {
			t.Errorf("relative(now, now%+v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]int64{0: 2, 1: 2, 3: 4, 5: 10, 11: 20, 39: 40, 41: 100, 1250: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}
