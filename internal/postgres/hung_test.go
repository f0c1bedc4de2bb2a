package postgres_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/testenv"
)

// A database that stops answering (a dropped route: the proxy between the
// store and PostgreSQL holds every byte) costs each call of every Store
// method a bounded wait, then an Unavailable error: a 503 for the caller,
// never a hang, nor a 500. Close then still ends within its bound, though
// the LISTEN connection and the connections of the cancelled calls hang:
// without it, pgx waits 15 s on each for the answer to a cancel request.
func TestHungDatabase(t *testing.T) {
	t.Parallel()
	dsn, proxy := testenv.ProxyURL(t, testenv.FreshSchema(t))
	db := mustOpen(t, dsn)
	// The first ChangeSignal starts the LISTEN connection, and is closed
	// once it listens.
	select {
	case <-db.ChangeSignal():
	case <-time.After(10 * time.Second):
		t.Fatal("the LISTEN connection is not up within 10s")
	}
	proxy.Stop()

	// Arguments that reach the database: numbers and slices filled in, so
	// that no method answers from memory (a limit of 0, no deltas).
	var fill func(reflect.Type) reflect.Value
	fill = func(typ reflect.Type) reflect.Value {
		v := reflect.New(typ).Elem()
		switch typ.Kind() {
		case reflect.Int, reflect.Int64:
			v.SetInt(1)
		case reflect.Slice:
			v = reflect.Append(reflect.MakeSlice(typ, 0, 1), fill(typ.Elem()))
		case reflect.Struct:
			for i := range typ.NumField() {
				if typ.Field(i).IsExported() {
					v.Field(i).Set(fill(typ.Field(i).Type))
				}
			}
		}
		return v
	}
	// Methods that never read the database: PostgreSQL has no usage to
	// compact; ChangeSignal and Close are not calls with a context.
	skip := map[string]bool{"CompactUsage": true, "ChangeSignal": true, "Close": true}
	// Generous: the bound is 2 s for a call on a request's path, 10 s for a
	// usage flush or a member's removal.
	const answerWithin = 15 * time.Second
	store := reflect.ValueOf(pome.Store(db))
	ctxType := reflect.TypeFor[context.Context]()
	var wg sync.WaitGroup
	for m := range reflect.TypeFor[pome.Store]().Methods() {
		if skip[m.Name] {
			continue
		}
		if m.Type.NumIn() == 0 || m.Type.In(0) != ctxType {
			t.Errorf("%s takes no context first: add it to skip, or to this test", m.Name)
			continue
		}
		args := []reflect.Value{reflect.ValueOf(t.Context())}
		for i := 1; i < m.Type.NumIn(); i++ {
			args = append(args, fill(m.Type.In(i)))
		}
		wg.Go(func() {
			done := make(chan error, 1)
			go func() {
				out := store.MethodByName(m.Name).Call(args)
				err, _ := out[len(out)-1].Interface().(error)
				done <- err
			}()
			select {
			case err := <-done:
				if e := pome.AsError(err); err == nil || e.Kind != pome.Unavailable {
					t.Errorf("%s with the database hung = %v, want an Unavailable error", m.Name, err)
				}
			case <-time.After(answerWithin):
				t.Errorf("%s with the database hung: no answer within %v", m.Name, answerWithin)
			}
		})
	}
	wg.Wait()

	closed := make(chan struct{})
	go func() { db.Close(); close(closed) }()
	const closeWithin = 10 * time.Second
	select {
	case <-closed:
	case <-time.After(closeWithin):
		t.Fatalf("Close with the database hung: not returned within %v", closeWithin)
	}
}
