package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// A service checks who the API key in its environment belongs to.
func Example() {
	c := client.New("https://pome.example.com", client.WithAPIKey(os.Getenv("POME_API_KEY")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("key %s of team %s, role %s\n", me.APIKey.Name, me.Team.Slug, me.APIKey.Role)
}

// A person's tool signs in, creates a key and shows it once.
func ExampleClient_Login() {
	ctx := context.Background()
	c := client.New("https://pome.example.com", client.WithUserAgent("deploy-tool/1.0"))
	if _, err := c.Login(ctx, "alice@example.com", os.Getenv("POME_PASSWORD")); err != nil {
		log.Fatal(err)
	}
	// c.SessionToken() may be stored (like a password) and given to a later
	// client with client.WithSession.
	k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "ci-deploy", Role: pome.RoleDeveloper, ExpiresInDays: 90})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Key) // the plaintext: no later call returns it
}

// Rolling a key with a one-hour grace: the old key keeps working for an
// hour, long enough to deploy the new one.
func ExampleClient_RollKey() {
	c := client.New("https://pome.example.com", client.WithSession(os.Getenv("POME_SESSION")))
	r, err := c.RollKey(context.Background(), "key_X5FQfLSUBaHoJ77k", client.RollKeyParams{ExpireOldInHours: new(1)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new key:", r.Key, "old key expires:", r.OldKey.ExpiresAt)
}

// Listing the revoked keys of another of the user's teams, every page.
func ExampleClient_ForTeam() {
	c := client.New("https://pome.example.com", client.WithSession(os.Getenv("POME_SESSION")))
	for k, err := range c.ForTeam("acme").AllKeys(context.Background(), "revoked") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(k.ID, k.Name, k.Status)
	}
}

// Listing the newest keys a page at a time, as a dashboard would.
func ExampleClient_ListKeys() {
	c := client.New("https://pome.example.com", client.WithSession(os.Getenv("POME_SESSION")))
	l, err := c.ListKeys(context.Background(), client.KeyListOptions{Status: "all", Limit: 20})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d keys\n", len(l.Keys), l.Total)
	if l.NextCursor != "" {
		next, err := c.ListKeys(context.Background(), client.KeyListOptions{Status: "all", Limit: 20, Cursor: l.NextCursor})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("then", len(next.Keys), "older keys")
	}
}

// Reading the whole audit log of revocations, page after page.
func ExampleClient_AuditEvents() {
	c := client.New("https://pome.example.com", client.WithSession(os.Getenv("POME_SESSION")))
	for e, err := range c.AuditEvents(context.Background(), client.AuditParams{Action: "key.revoked"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Time, e.Actor.ID, e.Target.ID)
	}
}

// An error answered by the server is a *client.Error, with the status and
// the request id to quote; it wraps the *pome.Error of its code.
func ExampleError() {
	// A stand-in for a Pome server that refuses a revoked key.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"message":"API key has been revoked","type":"permission_error",`+
			`"code":"key_revoked","request_id":"req_wNh1aNpqRXTGy9bJyjyg"}}`)
	}))
	defer srv.Close()

	_, err := client.New(srv.URL, client.WithAPIKey("pme_...")).Me(context.Background())
	fmt.Println(errors.Is(err, pome.ErrKeyRevoked))
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Type, e.Code(), e.RequestID)
	}
	fmt.Println(err)
	// Output:
	// true
	// 403 permission_error key_revoked req_wNh1aNpqRXTGy9bJyjyg
	// API key has been revoked (code key_revoked, request_id req_wNh1aNpqRXTGy9bJyjyg)
}

// A call that gets no answer is an *UnreachableError.
func ExampleUnreachableError() {
	_, err := client.New("http://127.0.0.1:1").Session(context.Background())
	var ue *client.UnreachableError
	fmt.Println(errors.As(err, &ue), ue.BaseURL)
	// Output:
	// true http://127.0.0.1:1
}
