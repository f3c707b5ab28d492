// Package callautomation is the Go client SDK for callrec's recording API,
// which is wire-compatible with Azure Communication Services (ACS) Call
// Automation recording. It mirrors the .NET CallAutomation recording API in
// Go idioms:
//
//	client, err := callautomation.NewCallAutomationClient(connectionString, nil)
//	rec := client.CallRecording()
//	state, err := rec.Start(ctx, callautomation.StartRecordingOptions{
//		CallLocator:      callautomation.ServerCallLocator{ID: serverCallID},
//		RecordingContent: callautomation.RecordingContentAudio,
//		RecordingChannel: callautomation.RecordingChannelMixed,
//		RecordingFormat:  callautomation.RecordingFormatWav,
//	})
//	...
//	err = rec.Stop(ctx, state.RecordingID)
//
// Every request is signed with ACS HMAC-SHA256 from the connection string's
// access key, byte for byte as the official SDKs sign: recording ids are
// escaped like JavaScript's encodeURIComponent, content downloads and
// deletes are signed for the endpoint's host and the content URL's path.
// Transient failures (5xx other than 501 and 505, 408, 429, network errors)
// are retried with exponential backoff, resending byte-identical requests,
// so a retried start carries the same Repeatability-Request-ID and the
// server returns the same recording.
//
// Failures the server reports come back as *ResponseError, carrying the HTTP
// status and ACS's error code and message.
//
// Call control (callconnection.go) mirrors ACS's call connections:
// Client.AnswerCall, RejectCall and RedirectCall act on a call that rings
// (the incomingCallContext of its IncomingCall event), Client.CreateCall
// places one, and Client.CallConnection(id) reads a connection's
// properties, lists and gets its participants, removes and mutes them, and
// hangs up (for everyone: the call ends).
//
// Calls (Client.Calls) are callrec's own extension: ACS has no REST API to
// create a call, callrec hosts them itself.
//
// Lists are callrec extensions too. CallsClient.List and CallRecording.List
// return a Pager that reads pages (More, NextPage) by following the
// server's nextLink, or walks every item with All:
//
//	for s, err := range rec.List(callautomation.ListRecordingsOptions{ServerCallID: id}).All(ctx) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(s.RecordingID, s.RecordingState) // active, inactive or stopped
//	}
//
// CallsClient.Get returns a call with its recordings, and
// CallRecording.DownloadAll fetches every file of a stopped recording
// (media and metadata of each chunk) into a directory.
package callautomation
