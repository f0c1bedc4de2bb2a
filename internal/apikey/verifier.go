package apikey

import (
	"context"
	"hash/maphash"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/maypok86/otter/v2"

	"github.com/pomehq/pome"
)

// DefaultCacheSize is how many verified keys a Verifier holds at most. At
// about 330 bytes per cached key (docs/performance.md) a full cache is about
// 330 MB; SetCacheSize changes it.
const DefaultCacheSize = 1_000_000

// Verifier answers whether a presented key may be used, on every request of
// the public API. Verified keys are cached by digest, at most DefaultCacheSize
// of them (the least useful are evicted: otter's W-TinyLFU), each for at most
// ttl, or longer while Follow keeps up (SetFollowedTTL), or while the store
// cannot be reached (SetStaleIfUnavailable); a revocation on this node
// forgets its entry at once, and Follow applies the changes other nodes and
// `pome admin` make within one poll interval.
type Verifier struct {
	store  VerifierStore
	format pome.KeyFormat
	now    func() time.Time
	ttl    time.Duration
	// followedTTL is how long an entry is used at most while the change
	// log is followed; past ttl, only while followedAt is less than
	// followLag old (trusted). stale is how long after followedAt an entry
	// may still be used while the store cannot be reached. Both are set
	// before the Verifier is used.
	followedTTL time.Duration
	stale       time.Duration
	// lifetime is how long an entry stays cached at most: the longer of
	// ttl and followedTTL, and stale more, for entries to outlast an
	// outage.
	lifetime   atomic.Int64 // time.Duration
	followedAt atomic.Int64 // unix nanoseconds: the start of Follow's last complete read of the log; 0: none
	followLag  atomic.Int64 // time.Duration: how old followedAt may be

	outage outage // whether the store could be reached at the last try (outage.go)

	cache *otter.Cache[pome.Digest, cachedKey]
	// gen counts invalidations. A store read that began before one is not
	// cached after it: otherwise a request in flight during a revocation
	// could put the key back, valid, until the ttl ran out.
	gen atomic.Uint64
	// byKeyID finds the digest of a cached key from its id, for the change
	// log, which names keys by id. It is keyed by a hash of the id and holds
	// no pointers, so the garbage collector never scans it; a collision can
	// only make an invalidation drop one key too many, which is always safe.
	idxMu   sync.Mutex
	byKeyID map[uint64]pome.Digest
	seed    maphash.Seed

	storeReads atomic.Uint64 // KeyByDigest calls, for Stats

	// onChange is told of the changes the verifier applies (OnChange).
	onChange atomic.Pointer[func([]pome.Change)]
	// onKeyChange is told of each key changed (OnKeyChange).
	onKeyChange atomic.Pointer[func(keyID string)]

	negative negativeCache // well-formed keys the store did not know (negative.go)
	expired  expiredLog    // expired keys whose refusal is recorded (expired.go)
	canaries canaryLog     // uses of canary keys, to record (canary.go)
}

// NewVerifier returns a Verifier whose cache entries live at most ttl (a ttl
// of 0 or less caches nothing).
func NewVerifier(store VerifierStore, format pome.KeyFormat, ttl time.Duration, now func() time.Time) *Verifier {
	v := &Verifier{store: store, format: format, ttl: ttl, followedTTL: ttl, now: now,
		byKeyID: make(map[uint64]pome.Digest), seed: maphash.MakeSeed(),
		outage: outage{now: now, log: slog.New(slog.DiscardHandler)}, canaries: newCanaryLog()}
	v.lifetime.Store(int64(ttl))
	opts := &otter.Options[pome.Digest, cachedKey]{
		MaximumSize:      DefaultCacheSize,
		Clock:            clock{now},
		OnAtomicDeletion: v.unindex,
	}
	if ttl > 0 {
		opts.ExpiryCalculator = otter.ExpiryWritingFunc(func(otter.Entry[pome.Digest, cachedKey]) time.Duration {
			return time.Duration(v.lifetime.Load())
		})
	}
	v.cache = otter.Must(opts)
	v.negative.configure(DefaultNegativeTTL, DefaultNegativeSize)
	return v
}

// SetFollowedTTL lets a cached key be trusted for up to d (more than the
// ttl) while Follow keeps reading the change log: past the ttl, an entry is
// used only if the last complete read of the log began within two poll
// intervals; otherwise the key is read again, as if it had expired. The
// change log, not the ttl, is what carries revocations and bans to this
// node, so while it is followed d only bounds an invalidation that was lost;
// when it cannot be read (the database unreachable from this node), the ttl
// bounds staleness as before. Set it before the Verifier is used.
func (v *Verifier) SetFollowedTTL(d time.Duration) {
	if v.ttl > 0 {
		v.followedTTL = max(d, v.ttl)
		v.lifetime.Store(int64(v.followedTTL + v.stale))
	}
}

// SetStaleIfUnavailable lets a cached key be used past its ttls while the
// store cannot be reached, for up to d after the start of Follow's last
// complete read of the change log; 0 (the default) never. A key cached and
// not invalidated then was valid when the log was last read, and no
// revocation can be made through a store that nobody reaches: serving it
// keeps the public API up through a database outage, where reading it
// again would answer 503. What it can miss is a change this node had not
// read yet: one made in the follower's last moments before the outage, or
// through another node that still reaches the database while this one does
// not. Set it before the Verifier is used.
func (v *Verifier) SetStaleIfUnavailable(d time.Duration) {
	if v.ttl > 0 {
		v.stale = max(d, 0)
		v.lifetime.Store(int64(v.followedTTL + v.stale))
	}
}

// SetLog sets where the start and end of a database outage are logged
// (nil: nowhere). Set it before the Verifier is used.
func (v *Verifier) SetLog(log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v.outage.log = log
}

// trusted reports whether a cached entry may be used at now without the
// store (see SetFollowedTTL).
func (v *Verifier) trusted(c *cachedKey, now int64) bool {
	age := now - c.loadedAt
	if age < int64(v.ttl) {
		return true
	}
	at := v.followedAt.Load()
	return age < int64(v.followedTTL) && at != 0 && now-at < v.followLag.Load()
}

// mayServeStale reports whether a cached entry that is not trusted may be
// used at now all the same if the store cannot be reached (see
// SetStaleIfUnavailable).
func (v *Verifier) mayServeStale(now int64) bool {
	at := v.followedAt.Load()
	return v.stale > 0 && at != 0 && now-at < int64(v.stale)
}

// SetCacheSize sets how many verified keys are cached at most (at least 1);
// entries past it are evicted at once.
func (v *Verifier) SetCacheSize(n int) {
	v.cache.SetMaximum(uint64(max(n, 1)))
}

// clock is the Verifier's time as otter reads it, so that the ttl follows an
// injected clock in tests.
type clock struct{ now func() time.Time }

func (c clock) NowNano() int64 { return c.now().UnixNano() }

// Tick drives otter's proactive removal of expired entries (once a second).
func (c clock) Tick(d time.Duration) <-chan time.Time { return time.Tick(d) }

// cachedKey is one verified key as the cache holds it, few in pointers
// (with 100k cached keys, garbage collection is what costs: docs/performance.md): the
// key's own strings in one allocation, its times as integers, its team and
// creator in a record shared by every key of that creator in that team, and
// nothing that verification does not answer (a key's description, usage
// count and last use are not cached).
type cachedKey struct {
	text      string                     // key id, display prefix, name
	owner     unique.Handle[ownerRecord] // team and creator (interned)
	expiresAt *time.Time                 // nil: never
	policy    *keyPolicy                 // nil: none but the flags below
	createdAt int64                      // unix nanoseconds
	loadedAt  int64                      // unix nanoseconds: when the store was read
	role      pome.Role                  // the key's own role (a constant)
	idLen     uint16
	prefixLen uint16
	revoked   bool
	testMode  bool
	disabled  bool
	canary    bool
}

// keyPolicy is what a key's policies hold besides its flags, parsed once
// when the key is loaded (its CIDRs are prefixes, not text); a key without
// any shares no memory for them.
type keyPolicy struct {
	scopes    []string
	meta      string
	cidrs     []netip.Prefix
	rateLimit *pome.RateLimit
	// credits are the key's as loaded: their refill is what verification
	// uses (the ledger keeps what is left).
	credits *pome.Credits
}

func newKeyPolicy(k *pome.Key) *keyPolicy {
	if len(k.Scopes) == 0 && k.Meta == "" && len(k.AllowedCIDRs) == 0 && k.RateLimit == nil && k.Credits == nil {
		return nil
	}
	return &keyPolicy{scopes: k.Scopes, meta: k.Meta, cidrs: k.AllowedCIDRs, rateLimit: k.RateLimit, credits: k.Credits}
}

// ownerRecord is what a key's verification needs of its team and creator.
// Records are interned (unique.Make): one copy per distinct value, shared by
// every cached key that has it, collected when no entry refers to it. A
// change of the team or the member makes a new record; the old entries are
// invalidated by Forget*, the change log or the ttl.
type ownerRecord struct {
	teamID, slug, teamName, plan, status, externalID string
	teamCreated                                      int64
	userID, email                                    string // userID: a service token's id for a key it made
	userCreated                                      int64
	creatorRole                                      pome.Role // "" once the creator left the team, or a token
	byToken                                          bool      // made by a service token: no member caps it
}

// newCachedKey packs what the store returned at loaded.
func newCachedKey(o *pome.KeyOwner, loaded time.Time) cachedKey {
	k := &o.Key
	c := cachedKey{
		text:      k.ID + k.Prefix + k.Name,
		createdAt: k.CreatedAt.UnixNano(),
		loadedAt:  loaded.UnixNano(),
		role:      canonicalRole(k.Role),
		idLen:     uint16(len(k.ID)),
		prefixLen: uint16(len(k.Prefix)),
		revoked:   k.RevokedAt != nil,
		testMode:  k.TestMode,
		disabled:  k.Disabled,
		canary:    k.Canary,
		policy:    newKeyPolicy(k),
		owner: unique.Make(ownerRecord{
			teamID: o.Team.ID, slug: o.Team.Slug, teamName: o.Team.Name, externalID: o.Team.ExternalID,
			plan: o.Team.PlanTier, status: o.Team.Status, teamCreated: o.Team.CreatedAt.UnixNano(),
			userID: k.CreatedBy, email: o.User.Email, userCreated: o.User.CreatedAt.UnixNano(),
			creatorRole: canonicalRole(o.CreatorRole), byToken: pome.IsServiceTokenID(k.CreatedBy),
		}),
	}
	if k.ExpiresAt != nil {
		t := k.ExpiresAt.UTC()
		c.expiresAt = &t
	}
	return c
}

// keyOwner unpacks c into what Verify answers. It does not allocate: TestVerifyAllocs.
func (c *cachedKey) keyOwner(d pome.Digest, r *ownerRecord) pome.KeyOwner {
	id, prefix := int(c.idLen), int(c.idLen)+int(c.prefixLen)
	o := pome.KeyOwner{
		Key: pome.Key{
			ID: c.text[:id], TeamID: r.teamID, CreatedBy: r.userID,
			Name: c.text[prefix:], Prefix: c.text[id:prefix], Digest: d, Role: c.role,
			CreatedAt: time.Unix(0, c.createdAt).UTC(), ExpiresAt: c.expiresAt,
			TestMode: c.testMode, Disabled: c.disabled,
		},
		Team: pome.Team{ID: r.teamID, Slug: r.slug, Name: r.teamName, PlanTier: r.plan,
			Status: r.status, CreatedAt: time.Unix(0, r.teamCreated).UTC(), ExternalID: r.externalID},
		CreatorRole: r.creatorRole,
		// A key never does more than its creator can do now (docs/api.md);
		// a service token's key, as much as its own role says.
		Role: c.role,
	}
	if p := c.policy; p != nil {
		o.Key.Scopes, o.Key.Meta, o.Key.AllowedCIDRs, o.Key.RateLimit = p.scopes, p.meta, p.cidrs, p.rateLimit
		o.Key.Credits = p.credits
	}
	if !r.byToken {
		o.User = pome.User{ID: r.userID, Email: r.email, CreatedAt: time.Unix(0, r.userCreated).UTC()}
		o.Role = c.role.Min(r.creatorRole)
	}
	return o
}

// canonicalRole returns the package constant equal to r, so that cached
// roles share the constants' memory instead of each holding a copy.
func canonicalRole(r pome.Role) pome.Role {
	switch r {
	case pome.RoleOwner:
		return pome.RoleOwner
	case pome.RoleAdmin:
		return pome.RoleAdmin
	case pome.RoleDeveloper:
		return pome.RoleDeveloper
	case pome.RoleViewer:
		return pome.RoleViewer
	case "":
		return ""
	}
	return pome.Role(string([]byte(r)))
}

// Verify checks a presented key and returns its key, team and creator. A
// malformed key fails before any storage access; an unknown one is
// ErrInvalidAPIKey; a known but unusable one is ErrKeyRevoked, ErrKeyExpired
// or ErrTeamBanned. A canary key is ErrInvalidAPIKey too, and its use is
// queued for RecordCanaries. The answer's Key has no Description, LastUsed or
// UsageCount: verification does not cache them.
func (v *Verifier) Verify(ctx context.Context, candidate string) (pome.KeyOwner, error) {
	o, _, err := v.verify(ctx, candidate, nil)
	return o, err
}

// verify is Verify; gate, if not nil, is called before the store is read.
// keyID is the id of a known key, set also when its status refuses it
// (revoked, expired, team banned) and the owner is empty: VerifyGated.
func (v *Verifier) verify(ctx context.Context, candidate string, gate func() error) (pome.KeyOwner, string, error) {
	d, err := v.format.Parse(candidate)
	if err != nil {
		return pome.KeyOwner{}, "", err
	}
	now := v.now()
	c, ok := v.cache.GetIfPresent(d)
	if !ok || !v.trusted(&c, now.UnixNano()) {
		stale := ok && v.mayServeStale(now.UnixNano())
		// During an outage a stale entry is answered without trying the
		// store: the follower's polls and the keys not cached probe it.
		if !stale || !v.outage.on() {
			fresh, err := v.load(ctx, d, now, gate)
			switch {
			case err == nil:
				c = fresh
			case !stale || !unavailable(err):
				return pome.KeyOwner{}, "", err
			}
		}
	}
	if c.canary {
		// Whatever its status, a canary is answered as an unknown key, and
		// known to nobody else: not counted, not charged as a key
		// (TestCanaryAnsweredAsUnknown).
		v.canaries.add(ctx, &c, now)
		return pome.KeyOwner{}, "", pome.ErrInvalidAPIKey
	}
	keyID := c.text[:c.idLen]
	if c.revoked {
		return pome.KeyOwner{}, keyID, pome.ErrKeyRevoked
	}
	r := c.owner.Value()
	switch {
	case r.creatorRole == "" && !r.byToken:
		// The creator left the team: their keys were revoked with it; a
		// key that escaped (another node's stale cache) is refused alike.
		return pome.KeyOwner{}, keyID, pome.ErrKeyRevoked
	case c.expiresAt != nil && !now.Before(*c.expiresAt):
		if !v.outage.on() {
			// Recorded once the store answers again: a write now
			// would hold the refusal for the call's whole deadline.
			o := c.keyOwner(d, &r)
			v.expired.record(ctx, v.store, &o, now)
		}
		return pome.KeyOwner{}, keyID, pome.ErrKeyExpired
	case r.status == pome.TeamBanned:
		return pome.KeyOwner{}, keyID, pome.ErrTeamBanned
	}
	return c.keyOwner(d, &r), keyID, nil
}

// load reads a key the cache does not hold from the store, and caches it
// unless an invalidation happened meanwhile. While the store cannot be
// reached, it answers errStoreDown without a read but for a probe now and
// then (outage).
func (v *Verifier) load(ctx context.Context, d pome.Digest, now time.Time, gate func() error) (cachedKey, error) {
	unknown, negGen := v.negative.lookup(d, now)
	if unknown {
		return cachedKey{}, pome.ErrInvalidAPIKey
	}
	if !v.outage.allow(now.UnixNano()) {
		return cachedKey{}, errStoreDown
	}
	if gate != nil {
		if err := gate(); err != nil {
			return cachedKey{}, err
		}
	}
	gen := v.gen.Load()
	v.storeReads.Add(1)
	owner, err := v.store.KeyByDigest(ctx, d)
	v.outage.report(err)
	if err != nil {
		if pome.AsError(err).Kind == pome.NotFound {
			// Only a definite "no such key": an unreachable store is
			// never remembered as an unknown key.
			v.negative.add(d, now, negGen)
			return cachedKey{}, pome.ErrInvalidAPIKey
		}
		return cachedKey{}, err
	}
	c := newCachedKey(&owner, now)
	if v.ttl <= 0 || v.gen.Load() != gen {
		return c, nil
	}
	v.cache.Set(d, c)
	// Indexed after Set: replacing an expired entry of the same digest
	// unindexes it within Set. Checked under idxMu, which invalidating
	// takes to bump gen: an invalidation that began since the read either
	// finds the entry in the index or is seen here.
	v.idxMu.Lock()
	v.byKeyID[v.keyIDHash(owner.Key.ID)] = d
	stale := v.gen.Load() != gen
	v.idxMu.Unlock()
	if stale {
		v.cache.Invalidate(d)
	}
	return c, nil
}

func (v *Verifier) keyIDHash(id string) uint64 { return maphash.String(v.seed, id) }

// unindex keeps byKeyID in step with the cache (otter's OnAtomicDeletion: it
// runs under the entry's bucket lock, and must not call the cache).
func (v *Verifier) unindex(e otter.DeletionEvent[pome.Digest, cachedKey]) {
	if e.Cause == otter.CauseReplacement {
		return // the digest is still cached, under the same key id
	}
	h := v.keyIDHash(e.Value.text[:e.Value.idLen])
	v.idxMu.Lock()
	if v.byKeyID[h] == e.Key {
		delete(v.byKeyID, h)
	}
	v.idxMu.Unlock()
}

// invalidating marks the start of an invalidation: store reads in flight
// will not be cached.
func (v *Verifier) invalidating() {
	v.idxMu.Lock()
	v.gen.Add(1)
	v.idxMu.Unlock()
}

// Forget drops a key from the cache, so its next use reads the store.
func (v *Verifier) Forget(d pome.Digest) {
	v.invalidating()
	v.cache.Invalidate(d)
}

// ForgetKeyID drops the cached key with this id, if any.
func (v *Verifier) ForgetKeyID(id string) {
	v.invalidating()
	v.idxMu.Lock()
	d, ok := v.byKeyID[v.keyIDHash(id)]
	v.idxMu.Unlock()
	if ok {
		v.cache.Invalidate(d)
	}
}

// ForgetMember drops the cached keys a user created in a team, after their
// role there changed or they left it: the keys' effective role follows.
func (v *Verifier) ForgetMember(teamID, userID string) {
	v.forgetMatching(func(r *ownerRecord) bool { return r.teamID == teamID && r.userID == userID })
}

// ForgetTeam drops every cached key of a team, after its status or plan
// changed.
func (v *Verifier) ForgetTeam(teamID string) {
	v.forgetMatching(func(r *ownerRecord) bool { return r.teamID == teamID })
}

// forgetMatching drops every cached key whose owner record matches. It scans
// the cache (a few milliseconds per 100,000 entries, docs/performance.md): team and
// member changes are rare, and an index by team would cost pointers in every
// entry. Keys are invalidated one by one, by digest, so that hits on other
// keys go on meanwhile.
func (v *Verifier) forgetMatching(match func(*ownerRecord) bool) {
	v.invalidating()
	var drop []pome.Digest
	seen := make(map[unique.Handle[ownerRecord]]bool)
	for d, c := range v.cache.All() {
		m, ok := seen[c.owner]
		if !ok {
			r := c.owner.Value()
			m = match(&r)
			seen[c.owner] = m
		}
		if m {
			drop = append(drop, d)
		}
	}
	for _, d := range drop {
		v.cache.Invalidate(d)
	}
}

// forgetAll empties the cache.
func (v *Verifier) forgetAll() {
	v.invalidating()
	v.cache.InvalidateAll()
}

// OnChange sets f to be told, after the cache has forgotten what they make
// stale, of every batch of changes the verifier applies: those the change
// log brings (Follow) and the revocations made through this node's Service,
// at once. It replaces any f set before; f must not block the follower.
// OnKeyChange has f told of the id of every key changed here or, through
// the change log, on another node: the credit ledger then settles the
// key's next use with the store.
func (v *Verifier) OnKeyChange(f func(keyID string)) { v.onKeyChange.Store(&f) }

// The gateway ends the open streams of a revoked key or a banned team
// with it.
func (v *Verifier) OnChange(f func([]pome.Change)) { v.onChange.Store(&f) }

// changed tells OnChange's f of changes, and OnKeyChange's of the keys
// they name.
func (v *Verifier) changed(changes []pome.Change) {
	if f := v.onKeyChange.Load(); f != nil {
		for _, c := range changes {
			if c.KeyID != "" {
				(*f)(c.KeyID)
			}
		}
	}
	if f := v.onChange.Load(); f != nil && len(changes) > 0 {
		(*f)(changes)
	}
}

// Revoked forgets k, just revoked through this node, and says so to
// OnChange's f without waiting for the change log.
func (v *Verifier) Revoked(k pome.Key) {
	v.Forget(k.Digest)
	v.changed([]pome.Change{{Kind: pome.ChangeKeyRevoked, TeamID: k.TeamID, KeyID: k.ID}})
}

// apply invalidates what a batch of change-log entries makes stale: keys
// through the id index, teams and members in one scan of the cache.
func (v *Verifier) apply(changes []pome.Change) {
	defer v.changed(changes)
	teams := make(map[string]bool)
	members := make(map[[2]string]bool)
	for _, c := range changes {
		switch c.Kind {
		case pome.ChangeKeyRevoked, pome.ChangeKeyUpdated:
			v.ForgetKeyID(c.KeyID)
		case pome.ChangeMemberUpdated:
			members[[2]string{c.TeamID, c.UserID}] = true
		default:
			// A team change, or a kind this version does not know:
			// forgetting the whole team is always safe.
			teams[c.TeamID] = true
		}
	}
	if len(teams) == 0 && len(members) == 0 {
		return
	}
	v.forgetMatching(func(r *ownerRecord) bool {
		return teams[r.teamID] || members[[2]string{r.teamID, r.userID}]
	})
}

// CacheStats is what a Verifier has done since it was made.
type CacheStats struct {
	Entries    int    // verified keys cached now (an estimate)
	StoreReads uint64 // reads of the store by digest: cache misses that were not negative hits
}

// Stats returns the cache's size and the number of store reads so far.
func (v *Verifier) Stats() CacheStats {
	return CacheStats{Entries: v.cache.EstimatedSize(), StoreReads: v.storeReads.Load()}
}
