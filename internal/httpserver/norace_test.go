//go:build !race

package httpserver_test

// raceEnabled: see race_test.go.
const raceEnabled = false
