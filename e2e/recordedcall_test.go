package e2e

import (
	"context"
	"testing"

	"github.com/callrec/callrec/callautomation"
)

// startRecordedCall creates a call and starts an audio WAV recording of it
// on the given channel layout; it returns the serverCallId and the
// recording id.
func startRecordedCall(ctx context.Context, t *testing.T, client *callautomation.Client, channel callautomation.RecordingChannel) (callID, recordingID string) {
	t.Helper()
	return startRecordedCallAs(ctx, t, client, channel, callautomation.RecordingFormatWav)
}

// startRecordedCallAs is startRecordedCall recording in format.
func startRecordedCallAs(ctx context.Context, t *testing.T, client *callautomation.Client, channel callautomation.RecordingChannel,
	format callautomation.RecordingFormat) (callID, recordingID string) {
	t.Helper()
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: channel,
		RecordingFormat:  format,
	})
	if err != nil {
		t.Fatal(err)
	}
	return call.ServerCallID, st.RecordingID
}

// stopFirstChunk stops a recording and returns its first chunk.
func stopFirstChunk(ctx context.Context, t *testing.T, client *callautomation.Client, recordingID string) callautomation.RecordingChunk {
	t.Helper()
	rec := client.CallRecording()
	if err := rec.Stop(ctx, recordingID); err != nil {
		t.Fatal(err)
	}
	result, err := rec.Result(ctx, recordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := result.RecordingStorageInfo.RecordingChunks
	if len(chunks) == 0 {
		t.Fatalf("recording %s has no chunks: %+v", recordingID, result)
	}
	return chunks[0]
}
