package callautomation_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/callrec/callrec/callautomation"
)

// A recording's life: start, pause, resume, stop. The connection string
// comes from the environment ("endpoint=https://host/;accesskey=KEY").
func Example() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		log.Fatal(err)
	}

	recording := client.CallRecording()
	started, err := recording.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
	})
	if err != nil {
		log.Fatal(err)
	}
	id := started.RecordingID
	fmt.Println("started:", started.RecordingState)

	if err := recording.Pause(ctx, id); err != nil {
		log.Fatal(err)
	}
	state, err := recording.GetState(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("paused:", state.RecordingState)

	if err := recording.Resume(ctx, id); err != nil {
		log.Fatal(err)
	}
	if err := recording.Stop(ctx, id); err != nil {
		log.Fatal(err)
	}
	result, err := recording.Result(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped:", result.SessionEndReason)
	// Output:
	// started: active
	// paused: inactive
	// stopped: sessionEnded
}

// Unmixed recordings give each participant a channel; channel affinity
// pins some, the ordering assigns the rest.
func ExampleCallRecording_Start() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	agent := callautomation.IdentifierFromRawID("8:acs:contoso_agent-0001")
	customer := callautomation.IdentifierFromRawID("4:+14255550123")
	supervisor := callautomation.IdentifierFromRawID("8:orgid:5f1e0c2a")
	pauseOnStart := true
	started, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelUnmixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
		ChannelAffinity: []callautomation.ChannelAffinity{
			callautomation.NewChannelAffinity(agent, 0),
			callautomation.NewChannelAffinity(customer, 1),
		},
		AudioChannelParticipantOrdering: []callautomation.CommunicationIdentifier{supervisor},
		PauseOnStart:                    &pauseOnStart,
		PauseBehavior:                   callautomation.PauseBehaviorSilence,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(started.RecordingState, started.RecordingKind)
	// Output:
	// inactive azureCommunicationServices
}

// Failures the server reports are *ResponseError values with the HTTP
// status and ACS's error code.
func ExampleResponseError() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.CallRecording().GetState(ctx, "bm8gc3VjaCByZWNvcmRpbmc=")
	var re *callautomation.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.Code)
	}
	// Output:
	// 404 RecordingNotFound
}

// Raw ids map onto identifier types as in the official SDKs.
func ExampleIdentifierFromRawID() {
	for _, raw := range []string{"8:acs:contoso_0001", "4:+14255550123", "8:orgid:5f1e0c2a", "28:bot"} {
		id := callautomation.IdentifierFromRawID(raw)
		fmt.Printf("%-20s %T\n", id.RawID(), id)
	}
	// Output:
	// 8:acs:contoso_0001   callautomation.CommunicationUserIdentifier
	// 4:+14255550123       callautomation.PhoneNumberIdentifier
	// 8:orgid:5f1e0c2a     callautomation.MicrosoftTeamsUserIdentifier
	// 28:bot               callautomation.UnknownIdentifier
}

// Calls are callrec's extension: create one to have something to record.
func ExampleCallsClient_Create() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	call, err := client.Calls().Create(ctx, "ZXhhbXBsZS1jYWxs")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(call.ServerCallID, call.State)
	if err := client.Calls().End(ctx, call.ServerCallID); err != nil {
		log.Fatal(err)
	}
	details, err := client.Calls().Get(ctx, call.ServerCallID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(details.State, len(details.Recordings))
	// Output:
	// ZXhhbXBsZS1jYWxs active
	// ended 0
}

// stoppedRecording starts and stops a recording of a new call and returns
// its result, for the download examples.
func stoppedRecording(ctx context.Context, client *callautomation.Client) (*callautomation.RecordingResult, error) {
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		return nil, err
	}
	started, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:     callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingFormat: callautomation.RecordingFormatWav, RecordingContent: callautomation.RecordingContentAudio,
	})
	if err != nil {
		return nil, err
	}
	if err := client.CallRecording().Stop(ctx, started.RecordingID); err != nil {
		return nil, err
	}
	return client.CallRecording().Result(ctx, started.RecordingID)
}

// Download a finished recording into a file.
func ExampleCallRecording_DownloadTo() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	result, err := stoppedRecording(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	chunk := result.RecordingStorageInfo.RecordingChunks[0]

	f, err := os.CreateTemp("", "recording-*.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := client.CallRecording().DownloadTo(ctx, chunk.ContentLocation, f)
	if err != nil {
		log.Fatal(err)
	}
	header := make([]byte, 12)
	if _, err := f.ReadAt(header, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s…%s, %v\n", header[:4], header[8:], n > 44)
	// Output:
	// RIFF…WAVE, true
}

// Read part of a recording file with a range request.
func ExampleCallRecording_DownloadStreaming() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	result, err := stoppedRecording(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	chunk := result.RecordingStorageInfo.RecordingChunks[0]
	body, err := client.CallRecording().DownloadStreaming(ctx, chunk.ContentLocation,
		&callautomation.HTTPRange{Offset: 8, Length: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// Output:
	// WAVE
}
