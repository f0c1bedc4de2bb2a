package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"
	"unsafe"
)

// Canonical forms of the header names SetHeaders writes.
const (
	HeaderLimit      = "X-Ratelimit-Limit"
	HeaderRemaining  = "X-Ratelimit-Remaining"
	HeaderReset      = "X-Ratelimit-Reset"
	HeaderPolicy     = "Ratelimit-Policy"
	HeaderRateLimit  = "Ratelimit"
	HeaderRetryAfter = "Retry-After"
)

// headerValues holds every value SetHeaders writes, and the bytes they are
// made of, in one allocation.
type headerValues struct {
	v   [6]string
	buf [192]byte
}

// SetHeaders writes the rate-limit headers of d under r on a response:
//
//	X-RateLimit-Limit: 10            the quota (the de facto headers)
//	X-RateLimit-Remaining: 0         units left
//	X-RateLimit-Reset: 60            seconds until the quota is whole again
//	RateLimit-Policy: "create_key";q=10;w=60      (IETF draft
//	RateLimit: "create_key";r=0;t=60               httpapi-ratelimit-headers)
//	Retry-After: 6                   seconds until the next unit, only when refused
//
// Seconds are rounded up, so a client that waits them out is admitted. It
// writes nothing for an unlimited rule, and allocates once: TestSetHeadersAllocs.
func SetHeaders(h http.Header, r Rule, d Decision) {
	if r.Unlimited() {
		return
	}
	hv := new(headerValues)
	b := hv.buf[:0]
	n := 0
	// cut makes the bytes appended since start the next value.
	cut := func(start int) {
		hv.v[n] = unsafe.String(&b[start], len(b)-start)
		n++
	}
	reset := seconds(d.ResetAfter)

	start := len(b)
	b = strconv.AppendInt(b, int64(r.Limit), 10)
	cut(start)
	start = len(b)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	cut(start)
	start = len(b)
	b = strconv.AppendInt(b, reset, 10)
	cut(start)

	start = len(b)
	b = appendName(b, r.Name)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, int64(r.Limit), 10)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, seconds(r.Period), 10)
	cut(start)

	start = len(b)
	b = appendName(b, r.Name)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, reset, 10)
	cut(start)

	h[HeaderLimit] = hv.v[0:1:1]
	h[HeaderRemaining] = hv.v[1:2:2]
	h[HeaderReset] = hv.v[2:3:3]
	h[HeaderPolicy] = hv.v[3:4:4]
	h[HeaderRateLimit] = hv.v[4:5:5]
	if !d.Allowed {
		start = len(b)
		b = strconv.AppendInt(b, max(seconds(d.RetryAfter), 1), 10)
		cut(start)
		h[HeaderRetryAfter] = hv.v[5:6:6]
	}
}

// appendName appends name as a structured-field string (RFC 8941): quoted,
// with '"' and '\' escaped and anything not printable ASCII replaced by '_'.
func appendName(b []byte, name string) []byte {
	b = append(b, '"')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '_')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// seconds is d in whole seconds, rounded up.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}
