package sdk_test

import "testing"

// TestPythonSDK runs sdk/python's unittest suite against a pome built from
// this repository.
func TestPythonSDK(t *testing.T) {
	t.Parallel()
	runSuite(t, "python", "python3", "-m", "unittest", "discover", "-s", "tests", "-t", ".")
}
