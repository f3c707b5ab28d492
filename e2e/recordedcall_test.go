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
	return startRecordedCallWith(ctx, t, client, callautomation.StartRecordingOptions{
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: channel,
		RecordingFormat:  format,
	})
}

// startRecordedCallWith creates a call and starts a recording of it with
// opts (its call locator set to the new call).
func startRecordedCallWith(ctx context.Context, t *testing.T, client *callautomation.Client,
	opts callautomation.StartRecordingOptions) (callID, recordingID string) {
	t.Helper()
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.CallLocator = callautomation.ServerCallLocator{ID: call.ServerCallID}
	st, err := client.CallRecording().Start(ctx, opts)
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
