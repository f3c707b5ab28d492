package callautomation_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/callrec/callrec/callautomation"
)

// List the recordings of a call, stopped ones too, following every page.
func ExampleCallRecording_List() {
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
	for range 2 {
		started, err := recording.Start(ctx, callautomation.StartRecordingOptions{
			CallLocator:     callautomation.ServerCallLocator{ID: call.ServerCallID},
			RecordingFormat: callautomation.RecordingFormatWav,
		})
		if err != nil {
			log.Fatal(err)
		}
		if err := recording.Pause(ctx, started.RecordingID); err != nil {
			log.Fatal(err)
		}
	}
	first, err := recording.List(callautomation.ListRecordingsOptions{ServerCallID: call.ServerCallID, MaxPageSize: 1}).NextPage(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := recording.Stop(ctx, first[0].RecordingID); err != nil {
		log.Fatal(err)
	}

	for s, err := range recording.List(callautomation.ListRecordingsOptions{ServerCallID: call.ServerCallID}).All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.RecordingState, s.RecordingFormatType, s.ChunkCount)
	}
	// Output:
	// stopped wav 1
	// inactive wav 0
}

// Download every file of a stopped recording into a directory.
func ExampleCallRecording_DownloadAll() {
	ctx := context.Background()
	client, err := callautomation.NewCallAutomationClient(os.Getenv("CALLREC_CONNECTION_STRING"), nil)
	if err != nil {
		log.Fatal(err)
	}
	result, err := stoppedRecording(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "recording-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	got, err := client.CallRecording().DownloadAll(ctx, result.RecordingID, dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range got.Files {
		name, _ := filepath.Rel(dir, f.Path)
		fmt.Println(name == fmt.Sprintf("chunk-%d-%s.wav", f.ChunkIndex, f.DocumentID) ||
			name == fmt.Sprintf("chunk-%d-%s.metadata.json", f.ChunkIndex, f.DocumentID), f.Metadata)
	}
	// Output:
	// true false
	// true true
}
