package sdk_test

import "testing"

// TestJavaScriptSDK runs sdk/js's node:test suite. `node --test` without
// paths finds test/*.test.js by its default patterns in Node 18 to 22
// alike; a path argument means a file or directory in Node 20 and a glob
// from Node 22 on.
func TestJavaScriptSDK(t *testing.T) {
	t.Parallel()
	runSuite(t, "js", "node", "--test")
}
