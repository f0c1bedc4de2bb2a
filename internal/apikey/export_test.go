package apikey

import "time"

// CleanUp runs the cache's pending maintenance (evictions) now, so that a
// test can look at its size.
func (v *Verifier) CleanUp() { v.cache.CleanUp() }

// FollowedAt is when Follow's last complete read of the change log began.
func (v *Verifier) FollowedAt() time.Time { return time.Unix(0, v.followedAt.Load()).UTC() }
