package siprec_test

import (
	"slices"
	"testing"

	"github.com/callrec/callrec/internal/srctest"
)

// TestOpusStream: an SRC offers one stream PCMA then Opus and another
// PCMA alone; callrec answers the first with Opus (as for phones) and the
// second with PCMA, and the recording has each stream's tone on its
// participant's channel, at its level.
func TestOpusStream(t *testing.T) {
	src := recordTwoTones(t, "opus-session",
		&srctest.Stream{Label: "1", AOR: "tel:+14255550112", Opus: true},
		&srctest.Stream{Label: "2", AOR: "sip:agent@pbx.example"})
	if len(src.Formats) != 2 || !slices.Equal(src.Formats[0], []string{"111"}) || !slices.Equal(src.Formats[1], []string{"8"}) {
		t.Errorf("answered formats %v, want [[111] [8]]", src.Formats)
	}
}
