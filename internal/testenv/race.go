//go:build race

package testenv

// RaceEnabled reports a build with the race detector. Its runtime drops
// sync.Pool items at random, so allocation counts are not the program's
// (the AllocsPerRun guards skip); and a test that builds a binary builds it
// with -race too, reusing the packages already compiled for the test.
const RaceEnabled = true
