//go:build race

package main

// raceEnabled: this test binary runs under the race detector, so the pome
// binary the process tests build is too — and reuses the packages already
// compiled for it instead of compiling every dependency a second time.
const raceEnabled = true
