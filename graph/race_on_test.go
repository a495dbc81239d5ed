//go:build race

package graph

// raceDetector reports whether the tests run with -race, under which
// sync.Pool keeps little and allocation counts do not hold.
const raceDetector = true
