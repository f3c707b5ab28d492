package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// Garbage collector settings of `callrec serve` unless GOGC or GOMEMLIMIT
// say otherwise. The media path allocates nothing per packet or frame, so
// the live heap moves only as calls come and go (about 3 MiB per 3-party
// call); collecting at 4× the live heap keeps collections, and their
// stop-the-world pauses, out of the media's way, and the 1 GiB soft limit
// makes the collector work harder before the heap passes it (about 300
// calls) rather than let it grow to 5× (docs/BENCHMARKS.md).
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30
)

// tuneGC applies serve's collector settings where the environment has not
// set them.
func tuneGC(log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
		log.Debug("garbage collector: GOGC unset, collecting at 4× the live heap", "gogc", serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
		log.Debug("garbage collector: GOMEMLIMIT unset, soft memory limit 1 GiB", "bytes", serveMemoryLimit)
	}
}
