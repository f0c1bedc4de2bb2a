package httpserver_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// The browser tests check every page they photograph with axe-core (the
// npm package that .ci/run installs with `npm ci` in .ci/npm; $POME_AXE
// names another axe.min.js): no serious or critical violation of WCAG 2.x
// A and AA. Without it the check is skipped with a log line, except in CI,
// where it must run.

var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("POME_AXE")
	if path == "" {
		path = filepath.Join("..", "..", ".ci", "npm", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// axeViolation is what axe-core reports of a rule a page breaks.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// accessible runs axe-core on the page as it is now (dialogs included) and
// fails the test on a serious or critical violation.
func (tb *tab) accessible(what string) {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.t.Fatalf("axe-core not found (%v) and CI is set: .ci/run installs it (npm ci --prefix .ci/npm)", err)
		}
		tb.t.Logf("no accessibility check of %s: axe-core not found (%v); run npm ci --prefix .ci/npm", what, err)
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	// An API answer the browser shows (a JSON refusal of a form from
	// another origin) is no page of the dashboard's.
	if kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.contentType`)); err != nil || kind != "text/html" {
		tb.t.Logf("%s: no accessibility check of %s: a %q document (%v)", tb.name, what, kind, err)
		return
	}
	// Injected through the DevTools protocol, which the pages'
	// Content-Security-Policy does not govern; loaded once per page.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[string](src+"\n;typeof axe"))
	}
	if err != nil {
		tb.t.Fatalf("%s: inject axe-core on %s: %v", tb.name, what, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
		resultTypes: ["violations"],
	}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: axe-core on %s: %v", tb.name, what, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		tb.t.Fatalf("%s: axe-core's answer on %s: %v", tb.name, what, err)
	}
	for _, v := range violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			b, _ := json.Marshal(n.Target)
			where = append(where, string(b))
		}
		tb.t.Errorf("%s: %s: axe-core %s violation %s (%s) at %s", tb.name, what, v.Impact, v.ID, v.Help, strings.Join(where, ", "))
	}
}
