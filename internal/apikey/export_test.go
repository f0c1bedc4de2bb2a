package apikey

// CleanUp runs the cache's pending maintenance (evictions) now, so that a
// test can look at its size.
func (v *Verifier) CleanUp() { v.cache.CleanUp() }
