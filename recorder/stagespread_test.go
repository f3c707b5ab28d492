package recorder

import (
	"fmt"
	"testing"
	"time"
)

// TestStageOffsetsSpreadRecordings: recordings started together stage at
// points spread over the interval, not in the same commit: 300 ids fill
// each tenth of a 30 s interval with 15–45 of them.
func TestStageOffsetsSpreadRecordings(t *testing.T) {
	const every = 30 * time.Second
	var tenths [10]int
	for i := range 300 {
		off := stageOffset(fmt.Sprintf("eyJyZWMiOiIlZCJ9-%d", i), every)
		if off < 0 || off >= every {
			t.Fatalf("offset %s outside [0, %s)", off, every)
		}
		tenths[off*10/every]++
	}
	for k, n := range tenths {
		if n < 15 || n > 45 {
			t.Fatalf("tenth %d of the interval holds %d of 300 recordings' stages: %v", k, n, tenths)
		}
	}
	if stageOffset("x", 0) != 0 {
		t.Fatal("no interval, yet an offset")
	}
}
