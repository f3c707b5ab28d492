//go:build !race

package app_test

// raceEnabled is true when the tests run with -race, which makes real
// recordings several times slower.
const raceEnabled = false
