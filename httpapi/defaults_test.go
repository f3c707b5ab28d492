package httpapi

import (
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// A start that names nothing records the server's default format (ACS's:
// a mixed audioVideo MP4); what is named decides the rest.
func TestStartDefaultsFollowACS(t *testing.T) {
	loc := &acswire.CallLocator{Kind: "serverCallLocator", ServerCallID: "c"}
	cases := []struct {
		name                     string
		def                      callrec.RecordingFormat
		content, channel, format string
		want                     callrec.RecordingSpec
	}{
		{"nothing named", "", "", "", "", callrec.RecordingSpec{Content: "audioVideo", Channel: "mixed", Format: "mp4"}},
		{"nothing named, mp4", "mp4", "", "", "", callrec.RecordingSpec{Content: "audioVideo", Channel: "mixed", Format: "mp4"}},
		{"nothing named, wav server", "wav", "", "", "", callrec.RecordingSpec{Content: "audio", Channel: "mixed", Format: "wav"}},
		{"nothing named, mp3 server", "mp3", "", "", "", callrec.RecordingSpec{Content: "audio", Channel: "mixed", Format: "mp3"}},
		{"mixed only", "mp4", "", "mixed", "", callrec.RecordingSpec{Content: "audioVideo", Channel: "mixed", Format: "mp4"}},
		{"audio only", "mp4", "audio", "", "", callrec.RecordingSpec{Content: "audio", Channel: "mixed", Format: "wav"}},
		{"audio, mp3 server", "mp3", "audio", "", "", callrec.RecordingSpec{Content: "audio", Channel: "mixed", Format: "mp3"}},
		{"unmixed only", "mp4", "", "unmixed", "", callrec.RecordingSpec{Content: "audio", Channel: "unmixed", Format: "wav"}},
		{"unmixed, mp3 server", "mp3", "", "unmixed", "", callrec.RecordingSpec{Content: "audio", Channel: "unmixed", Format: "wav"}},
		{"audioVideo only", "wav", "audioVideo", "", "", callrec.RecordingSpec{Content: "audioVideo", Channel: "mixed", Format: "mp4"}},
		{"mp3 only", "mp4", "", "", "mp3", callrec.RecordingSpec{Content: "audio", Channel: "mixed", Format: "mp3"}},
		{"mp4 only", "wav", "", "", "mp4", callrec.RecordingSpec{Content: "audioVideo", Channel: "mixed", Format: "mp4"}},
	}
	for _, c := range cases {
		req := acswire.StartCallRecordingRequest{CallLocator: loc, RecordingContentType: c.content,
			RecordingChannelType: c.channel, RecordingFormatType: c.format}
		got, err := parseStartRequest(&req, c.def)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		s := got.Spec
		if s.Content != c.want.Content || s.Channel != c.want.Channel || s.Format != c.want.Format {
			t.Errorf("%s: %s/%s/%s, want %s/%s/%s", c.name, s.Content, s.Channel, s.Format, c.want.Content, c.want.Channel, c.want.Format)
		}
		if err := s.Validate(callrec.MaxUnmixedChannels); err != nil {
			t.Errorf("%s: the default does not validate: %v", c.name, err)
		}
	}
}
