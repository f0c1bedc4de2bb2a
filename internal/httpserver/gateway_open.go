package httpserver

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
)

// openRequests are the gateway's requests in flight, so that a stream or a
// websocket ends when its key may no longer be used: revoked, expired by a
// roll, its team banned, its creator gone or demoted below what the
// request does. The verifier tells of each change it applies
// (apikey.Verifier.OnChange: the change log within a second, a revocation
// on this node at once). The requests are an intrusive list through their
// forwarded records: joining and leaving it allocate nothing, and a change
// — rare — walks it.
type openRequests struct {
	verifier *apikey.Verifier
	log      *slog.Logger

	mu   sync.Mutex
	head *forwarded
}

// recheckTimeout bounds the store reads of a recheck.
const recheckTimeout = 5 * time.Second

func newOpenRequests(v *apikey.Verifier, log *slog.Logger) *openRequests {
	o := &openRequests{verifier: v, log: log}
	if v != nil {
		v.OnChange(o.changed)
	}
	return o
}

func (o *openRequests) add(fw *forwarded) {
	o.mu.Lock()
	fw.next = o.head
	if o.head != nil {
		o.head.prev = fw
	}
	o.head = fw
	o.mu.Unlock()
}

func (o *openRequests) remove(fw *forwarded) {
	o.mu.Lock()
	if fw.prev != nil {
		fw.prev.next = fw.next
	} else if o.head == fw {
		o.head = fw.next
	}
	if fw.next != nil {
		fw.next.prev = fw.prev
	}
	fw.prev, fw.next = nil, nil
	o.mu.Unlock()
}

// changed ends the open requests of a revoked key at once, and checks
// again, off the follower's goroutine, those of keys whose team, creator
// or expiry changed.
func (o *openRequests) changed(changes []pome.Change) {
	var recheck []*forwarded
	o.mu.Lock()
	for fw := o.head; fw != nil; fw = fw.next {
		for _, c := range changes {
			if c.TeamID != "" && c.TeamID != fw.owner.Team.ID {
				continue
			}
			switch {
			case c.KeyID != "" && c.KeyID != fw.owner.Key.ID:
				continue
			case c.UserID != "" && c.UserID != fw.owner.User.ID:
				continue
			case c.Kind == pome.ChangeKeyRevoked:
				fw.cancel(pome.ErrKeyRevoked)
			default:
				recheck = append(recheck, fw)
			}
			break
		}
	}
	o.mu.Unlock()
	if len(recheck) > 0 && o.verifier != nil {
		go o.recheck(recheck)
	}
}

// recheck verifies the keys of fws again, as their change left them, and
// ends the requests the key may no longer make. A store that cannot be
// read ends nothing: the change is not known to refuse them.
func (o *openRequests) recheck(fws []*forwarded) {
	ctx, cancel := context.WithTimeout(context.Background(), recheckTimeout)
	defer cancel()
	for _, fw := range fws {
		owner, err := o.verifier.Verify(ctx, fw.key)
		if err == nil {
			err = authz.CheckPolicies(&owner, fw.attempt())
		}
		if err == nil {
			continue
		}
		if e := pome.AsError(err); e.Kind == pome.Unavailable || e.Kind == pome.Internal {
			o.log.Warn("gateway: open request not rechecked", "err", err)
			continue
		}
		fw.cancel(err)
	}
}
