package httpserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

// A redirect into the upstream sends the client to Pome's address, the
// prefix mapping kept (the upstream's base path removed), never to the
// upstream's own host, which the client cannot and should not reach; any
// other Location passes as the upstream wrote it.
func TestGatewayRewritesUpstreamLocation(t *testing.T) {
	t.Parallel()
	target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", strings.ReplaceAll(r.URL.Query().Get("to"), "UPSTREAM", r.Host))
		w.WriteHeader(http.StatusFound)
	})
	v2, err := httpserver.ParseUpstream("/v2/=" + target.String() + "/base")
	if err != nil {
		t.Fatal(err)
	}
	s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{v2}}))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
	pome := strings.TrimPrefix(s.URL, "http://")
	client := &http.Client{Transport: s.HTTP.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ name, to, want string }{
		{"the upstream's origin", "http://UPSTREAM/base/v2/orders/7?x=1#top", "http://" + pome + "/v2/orders/7?x=1#top"},
		{"scheme-relative", "//UPSTREAM/base/v2/orders", "//" + pome + "/v2/orders"},
		{"path-absolute", "/base/v2/orders", "/v2/orders"},
		{"the base itself", "http://UPSTREAM/base", "http://" + pome + "/"},
		{"outside the base", "http://UPSTREAM/admin", "http://UPSTREAM/admin"},
		{"another site", "https://login.example/authorize?next=x", "https://login.example/authorize?next=x"},
		{"relative", "orders/7", "orders/7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := get(t, client, s, "/v2/go?to="+strings.NewReplacer("?", "%3F", "#", "%23", "&", "%26").Replace(c.to), key)
			want := strings.ReplaceAll(c.want, "UPSTREAM", target.Host)
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != want {
				t.Errorf("Location of %s = %d %q, want 302 %q", c.to, resp.StatusCode, got, want)
			}
		})
	}
}

// No upstream sets Pome's session cookie, under either of its names and in
// any case: an upstream on Pome's host would otherwise sign a browser into
// the dashboard as someone else. Its other cookies pass.
func TestGatewayDropsSessionSetCookie(t *testing.T) {
	t.Parallel()
	target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Set-Cookie", "pome_session=planted; Path=/; HttpOnly")
		h.Add("Set-Cookie", "theme=dark; Path=/")
		h.Add("Set-Cookie", "__Host-pome_session=planted; Path=/; Secure")
		h.Add("Set-Cookie", "__host-POME_SESSION=planted; Path=/; Secure")
		h.Add("Set-Cookie", "cart=3")
	})
	s, key := gatewayTo(t, target, httpserver.Gateway{})
	resp := get(t, s.HTTP.Client(), s, "/login", key)
	if got := strings.Join(resp.Header.Values("Set-Cookie"), " | "); got != "theme=dark; Path=/ | cart=3" {
		t.Errorf("Set-Cookie through the gateway = %q, want the upstream's own cookies only", got)
	}
}
