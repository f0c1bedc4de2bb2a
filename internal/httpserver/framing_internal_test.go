package httpserver

import "testing"

// framingConn finds a header section with both fields however the bytes
// are split between reads, and only when both are in one section.
func TestFramingScan(t *testing.T) {
	t.Parallel()
	both := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	for i := range len(both) + 1 {
		c := &framingConn{}
		c.scan([]byte(both[:i]))
		c.scan([]byte(both[i:]))
		if !c.conflicting.Load() {
			t.Fatalf("split at %d: conflicting = false, want true", i)
		}
	}
	for _, clean := range []string{
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\nContent-Length: 5\n\nX-Transfer-Encoding: chunked\n\n",
	} {
		c := &framingConn{}
		for i := range len(clean) {
			c.scan([]byte{clean[i]})
		}
		if c.conflicting.Load() {
			t.Errorf("%q: conflicting = true, want false", clean)
		}
	}
}
