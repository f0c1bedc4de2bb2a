package pomeauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/pomehq/pome/pomeauth"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// A Go service verifies keys against Pome's PostgreSQL database, in
// process, and reads the caller from the request's context.
func Example() {
	auth, err := inprocess.New(context.Background(), inprocess.Config{
		DatabaseURL: os.Getenv("POME_DATABASE_URL"),
		PlanLimits:  map[string]int{"free": 60, "pro": 600},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer auth.Close() // after the server has drained: writes the last usage counts

	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := pomeauth.FromContext(r.Context())
		fmt.Fprintf(w, "orders of team %s (key %s, role %s)\n", id.TeamSlug, id.KeyID, id.Role)
	})
	mux := http.NewServeMux()
	mux.Handle("/orders", auth.Middleware(orders))
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", mux))
}

// A service that cannot reach Pome's database asks a Pome server instead,
// with a service token from `pome admin service-token create`.
func ExampleNewRemote() {
	remote := pomeauth.NewRemote("http://pome.internal:8080", os.Getenv("POME_SERVICE_TOKEN"), nil)
	handler := remote.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := pomeauth.FromContext(r.Context())
		fmt.Fprintln(w, "hello", id.UserEmail)
	}))
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", handler))
}

// Checking a key without the middleware, e.g. in a queue consumer.
func ExampleRemote_Verify() {
	remote := pomeauth.NewRemote("http://pome.internal:8080", os.Getenv("POME_SERVICE_TOKEN"), nil)
	res, err := remote.Verify(context.Background(), os.Getenv("CUSTOMER_KEY"), pomeauth.Write)
	if err != nil {
		log.Fatal(err) // Pome unreachable, or the service token refused
	}
	if !res.Valid {
		log.Fatalf("refused: %s", res.Code) // INVALID, REVOKED, EXPIRED, ...
	}
	fmt.Println("team", res.Identity.TeamSlug)
}
