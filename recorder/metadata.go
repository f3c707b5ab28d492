package recorder

import (
	"encoding/json"
	"time"

	"github.com/callrec/callrec"
)

// Metadata is ACS's chunk metadata document plus sha256 (see
// docs/acs-compatibility.md, "Chunk metadata document").
type Metadata struct {
	ResourceID           string                `json:"resourceId"`
	CallID               string                `json:"callId"`
	ChunkDocumentID      string                `json:"chunkDocumentId"`
	ChunkIndex           int                   `json:"chunkIndex"`
	ChunkStartTime       string                `json:"chunkStartTime"`
	ChunkDuration        float64               `json:"chunkDuration"` // ms
	PauseResumeIntervals []PauseResumeInterval `json:"pauseResumeIntervals"`
	RecordingInfo        RecordingInfo         `json:"recordingInfo"`
	Participants         []MetadataParticipant `json:"participants"`
	// SHA256 is the hex SHA-256 of the chunk's content (callrec extension).
	SHA256 string `json:"sha256"`
	// Callrec is the recording's callrec block (RecordingSpec.Extension:
	// a SIPREC session's metadata), when it has one.
	Callrec json.RawMessage `json:"callrec,omitempty"`
}

// PauseResumeInterval is one pause: when it began and how long it lasted (ms).
type PauseResumeInterval struct {
	StartTime string  `json:"startTime"`
	Duration  float64 `json:"duration"`
}

// RecordingInfo describes the recorded media.
type RecordingInfo struct {
	ContentType        string             `json:"contentType"`
	ChannelType        string             `json:"channelType"`
	Format             string             `json:"format"`
	AudioConfiguration AudioConfiguration `json:"audioConfiguration"`
	// VideoConfiguration is there for audioVideo recordings only.
	VideoConfiguration *VideoConfiguration `json:"videoConfiguration,omitempty"`
}

// VideoConfiguration describes the video; BitRate is in bits per second.
type VideoConfiguration struct {
	LongerSideLength  int `json:"longerSideLength"`
	ShorterSideLength int `json:"shorterSideLength"`
	FrameRate         int `json:"frameRate"`
	BitRate           int `json:"bitRate"`
}

// AudioConfiguration describes the audio; BitRate is in bits per second.
type AudioConfiguration struct {
	SampleRate int `json:"sampleRate"`
	BitRate    int `json:"bitRate"`
	Channels   int `json:"channels"`
}

// MetadataParticipant is a participant of the chunk; Channel only for
// unmixed recordings. SharedChannel marks a participant beyond the channel
// limit, mixed into the last channel (callrec extension).
type MetadataParticipant struct {
	ParticipantID string `json:"participantId"`
	Channel       *int   `json:"channel,omitempty"`
	SharedChannel bool   `json:"sharedChannel,omitempty"`
}

// timeFormat is ISO 8601 with fractional seconds, as ACS writes it.
const timeFormat = "2006-01-02T15:04:05.0000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// buildMetadata assembles the document of chunk pc of j with frames of
// audio; pauses are those that began within the chunk.
func buildMetadata(resourceID string, j *journal, pc pendingChunk, frames int64, sum string) Metadata {
	spec := j.Recording.Spec
	m := Metadata{
		ResourceID:           resourceID,
		CallID:               spec.ServerCallID,
		ChunkDocumentID:      pc.DocumentID,
		ChunkIndex:           pc.Index,
		ChunkStartTime:       formatTime(pc.StartTime),
		ChunkDuration:        float64(frames) * 1000 / callrec.SampleRate,
		PauseResumeIntervals: []PauseResumeInterval{},
		RecordingInfo: RecordingInfo{
			ContentType: string(spec.Content),
			ChannelType: string(spec.Channel),
			Format:      string(spec.Format),
			AudioConfiguration: AudioConfiguration{
				SampleRate: callrec.SampleRate,
				BitRate:    bitRate(spec.Format, j.Channels),
				Channels:   j.Channels,
			},
		},
		Participants: []MetadataParticipant{},
		SHA256:       sum,
		Callrec:      spec.Extension,
	}
	if spec.Content == callrec.ContentAudioVideo {
		m.RecordingInfo.VideoConfiguration = &VideoConfiguration{
			LongerSideLength: videoWidth, ShorterSideLength: videoHeight, FrameRate: videoFPS, BitRate: videoBitRate,
		}
	}
	for _, p := range j.Pauses {
		if !pc.holdsPause(p) {
			continue
		}
		until := p.EndTime
		if p.End == openEnd || p.End > pc.EndPos {
			until = posTime(j, max(pc.EndPos, p.Start))
		}
		m.PauseResumeIntervals = append(m.PauseResumeIntervals, PauseResumeInterval{
			StartTime: formatTime(p.StartTime),
			Duration:  float64(max(until.Sub(p.StartTime), 0)) / float64(time.Millisecond),
		})
	}
	channels := map[string]assignment{}
	for _, a := range j.Assigned {
		channels[a.Participant] = a
	}
	for _, p := range pc.Participants {
		mp := MetadataParticipant{ParticipantID: p}
		if spec.Channel == callrec.ChannelUnmixed {
			a := channels[p]
			ch := a.Channel
			mp.Channel, mp.SharedChannel = &ch, a.Shared
		}
		m.Participants = append(m.Participants, mp)
	}
	return m
}

// holdsPause reports whether p began within the chunk. A chunk that ended
// by rollover holds pauses that began before its end; the last chunk also
// holds one that began at its very end.
func (pc pendingChunk) holdsPause(p pause) bool {
	if p.Start < pc.StartPos {
		return false
	}
	if pc.EndReason == EndReasonChunkMaxSize || pc.EndReason == EndReasonChunkMaxTime {
		return p.Start < pc.EndPos
	}
	return p.Start <= pc.EndPos
}

// posTime maps a call-clock position of the journal's segment to wall time.
func posTime(j *journal, pos int64) time.Time {
	return j.StartTime.Add(time.Duration(pos-j.StartPos) * (time.Second / callrec.SampleRate))
}

// bitRate is the audio bit rate of a recording of format f with nch
// channels, in bits per second: 16-bit PCM for WAV, 48 kbps for MP3 and
// for the AAC of MP4.
func bitRate(f callrec.RecordingFormat, nch int) int {
	if cf, err := formatOf(f); err == nil {
		return cf.bitRate(nch)
	}
	return callrec.SampleRate * 16 * nch
}
