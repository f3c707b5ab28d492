//go:build race

package e2e

// raceEnabled is true when the tests run with -race; the callrec binary is
// then built with -race too, so the server is checked for races as well and
// shares the build cache with the test build.
const raceEnabled = true
