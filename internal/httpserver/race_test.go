//go:build race

package httpserver_test

// raceEnabled: the race detector's runtime drops sync.Pool items at random,
// so allocation counts are not the program's; TestMeAllocs skips.
const raceEnabled = true
