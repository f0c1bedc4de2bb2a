package account

import (
	"crypto/rand"
	"strings"
)

const maxSlugLen = 40

// slugify turns a team name into a slug of [a-z0-9-]{2,40}: letters and
// digits kept, runs of anything else one hyphen.
func slugify(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		} else {
			hyphen = true
		}
		if b.Len() >= maxSlugLen-5 { // leave room for a "-xxxx" suffix
			break
		}
	}
	if b.Len() < 2 {
		return "team"
	}
	return b.String()
}

// withSuffix returns base on the first attempt and base-xxxx after.
func withSuffix(base string, attempt int) string {
	if attempt == 0 {
		return base
	}
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	suffix := []byte(rand.Text()[:4])
	for i, c := range suffix {
		suffix[i] = letters[int(c)%len(letters)]
	}
	return base + "-" + string(suffix)
}
