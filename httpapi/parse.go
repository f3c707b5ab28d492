package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
	"github.com/callrec/callrec/internal/acswire"
)

// decodeJSON decodes a JSON request body into v. Unknown fields are ignored
// (the ACS wire shape grows across api-versions); explicit nulls are absent.
func decodeJSON(r *http.Request, body []byte, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/json") {
			return callrec.Errorf(callrec.KindUnsupported, callrec.CodeUnsupportedMedia,
				"Content-Type must be application/json, not %q", ct)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidJSON, "the request body is empty; a JSON object is required")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return callrec.FieldErrorf(typeErr.Field, callrec.CodeInvalidJSON, "field %s has the wrong type: %s, not %s",
				typeErr.Field, typeErr.Value, typeErr.Type)
		}
		return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidJSON, "the request body is not valid JSON: %v", err)
	}
	return nil
}

// contentOf is the content a format records.
func contentOf(f callrec.RecordingFormat) callrec.RecordingContent {
	if f == callrec.FormatMp4 {
		return callrec.ContentAudioVideo
	}
	return callrec.ContentAudio
}

// defaultSpecFormat fills the content and format a start request left out
// (see parseStartRequest).
func defaultSpecFormat(spec *callrec.RecordingSpec, def callrec.RecordingFormat) {
	if def == "" {
		def = callrec.FormatMp4
	}
	switch {
	case spec.Content != "" && spec.Format != "":
	case spec.Format != "":
		spec.Content = contentOf(spec.Format)
	case spec.Content == callrec.ContentAudioVideo:
		spec.Format = callrec.FormatMp4
	case spec.Content == callrec.ContentAudio || spec.Channel == callrec.ChannelUnmixed:
		spec.Content, spec.Format = callrec.ContentAudio, callrec.FormatWav
		if def != callrec.FormatMp4 && spec.Channel == callrec.ChannelMixed {
			spec.Format = def
		}
	default: // nothing named but perhaps channel mixed
		spec.Content, spec.Format = contentOf(def), def
	}
}

// parseStartRequest turns the ACS start body into a validated-enum spec.
// Absent enums follow ACS: a request that names none records def, the
// server's default format (mp4 unless configured: a mixed audioVideo MP4,
// as ACS does), with its content (audioVideo for mp4, audio for wav and
// mp3) and mixed channels. Otherwise what is named decides: a format
// names its content; a content names its format (mp4 for audioVideo; for
// audio, def if it is an audio format, else wav); unmixed means audio as
// wav; the channel is mixed unless named.
func parseStartRequest(req *acswire.StartCallRecordingRequest, def callrec.RecordingFormat) (callrec.StartRecording, error) {
	var spec callrec.RecordingSpec
	switch {
	case req.CallLocator != nil:
		id, err := locatorID(req.CallLocator)
		if err != nil {
			return callrec.StartRecording{}, err
		}
		spec.ServerCallID = id
		spec.CallConnectionID = req.CallConnectionID
	case req.CallConnectionID != "":
		// The service resolves the connection to its call.
		spec.CallConnectionID = req.CallConnectionID
	default:
		return callrec.StartRecording{}, callrec.FieldErrorf("callLocator", callrec.CodeInvalidRequest,
			"callLocator is required")
	}

	var ok bool
	if v := req.RecordingContentType; v != "" {
		if spec.Content, ok = callrec.ParseContent(v); !ok {
			return callrec.StartRecording{}, enumError("recordingContentType", v, "audio, audioVideo")
		}
	}
	spec.Channel = callrec.ChannelMixed
	if v := req.RecordingChannelType; v != "" {
		if spec.Channel, ok = callrec.ParseChannel(v); !ok {
			return callrec.StartRecording{}, enumError("recordingChannelType", v, "mixed, unmixed")
		}
	}
	if v := req.RecordingFormatType; v != "" {
		if spec.Format, ok = callrec.ParseFormat(v); !ok {
			return callrec.StartRecording{}, enumError("recordingFormatType", v, "wav, mp3, mp4")
		}
	}
	defaultSpecFormat(&spec, def)
	spec.PauseBehavior = callrec.PauseCut
	if v := req.PauseBehavior; v != "" {
		if spec.PauseBehavior, ok = callrec.ParsePauseBehavior(v); !ok {
			return callrec.StartRecording{}, enumError("pauseBehavior", v, "cut, silence")
		}
	}
	if req.PauseOnStart != nil {
		spec.PauseOnStart = *req.PauseOnStart
	}
	if v := req.RecordingStateCallbackURI; v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return callrec.StartRecording{}, callrec.FieldErrorf("recordingStateCallbackUri", "InvalidCallbackUri",
				"recordingStateCallbackUri %q is not an absolute http(s) URL", v)
		}
		spec.CallbackURI = v
	}
	for i, id := range req.AudioChannelParticipantOrdering {
		raw, err := rawID(&id, fmt.Sprintf("audioChannelParticipantOrdering[%d]", i))
		if err != nil {
			return callrec.StartRecording{}, err
		}
		spec.ChannelOrder = append(spec.ChannelOrder, raw)
	}
	var unpinned []int // affinity entries that name no channel
	for i, a := range req.ChannelAffinity {
		field := fmt.Sprintf("channelAffinity[%d]", i)
		if a.Participant == nil {
			return callrec.StartRecording{}, callrec.FieldErrorf("channelAffinity", "InvalidChannelAffinity", "%s.participant is required", field)
		}
		raw, err := rawID(a.Participant, field+".participant")
		if err != nil {
			return callrec.StartRecording{}, err
		}
		ch := 0
		if a.Channel != nil {
			ch = *a.Channel
		} else {
			unpinned = append(unpinned, i)
		}
		spec.ChannelAffinity = append(spec.ChannelAffinity, callrec.ChannelAffinity{Channel: ch, Participant: raw})
	}
	fillAffinityChannels(spec.ChannelAffinity, unpinned)
	if es := req.ExternalStorage; es != nil {
		var err error
		if spec.ExternalStorage, err = byos.ParseStart(es.RecordingStorageKind, es.RecordingDestinationContainerURL); err != nil {
			return callrec.StartRecording{}, err
		}
	}
	return callrec.StartRecording{Spec: spec}, nil
}

// fillAffinityChannels gives the affinity entries at indexes unpinned (those
// without a channel) the lowest channels no other entry uses.
func fillAffinityChannels(as []callrec.ChannelAffinity, unpinned []int) {
	if len(unpinned) == 0 {
		return
	}
	used := map[int]bool{}
	for i, a := range as {
		if !slices.Contains(unpinned, i) {
			used[a.Channel] = true
		}
	}
	next := 0
	for _, i := range unpinned {
		for used[next] {
			next++
		}
		as[i].Channel, used[next] = next, true
	}
}

func enumError(field, got, allowed string) error {
	return callrec.FieldErrorf(field, "Invalid"+strings.ToUpper(field[:1])+field[1:],
		"%s %q is not one of: %s", field, got, allowed)
}

// locatorID returns the call id a locator names. Group and room locators
// resolve to the call created with that id.
func locatorID(l *acswire.CallLocator) (string, error) {
	var id string
	switch strings.ToLower(l.Kind) {
	case "servercalllocator":
		id = l.ServerCallID
	case "groupcalllocator":
		id = l.GroupCallID
	case "roomcalllocator":
		id = l.RoomID
	case "":
		id = firstNonEmpty(l.ServerCallID, l.GroupCallID, l.RoomID)
	default:
		return "", enumError("callLocator.kind", l.Kind, "serverCallLocator, groupCallLocator, roomCallLocator")
	}
	if id == "" {
		return "", callrec.FieldErrorf("callLocator", "InvalidCallLocator",
			"callLocator of kind %q has no id (serverCallId, groupCallId or roomId)", l.Kind)
	}
	return id, nil
}

// rawID returns an identifier's rawId, deriving it from the typed
// sub-object when the client left it out.
func rawID(id *acswire.CommunicationIdentifier, field string) (string, error) {
	switch {
	case id.RawID != "":
		return id.RawID, nil
	case id.CommunicationUser != nil && id.CommunicationUser.ID != "":
		return id.CommunicationUser.ID, nil
	case id.PhoneNumber != nil && id.PhoneNumber.Value != "":
		return "4:" + id.PhoneNumber.Value, nil
	case id.MicrosoftTeamsUser != nil && id.MicrosoftTeamsUser.UserID != "":
		return "8:orgid:" + id.MicrosoftTeamsUser.UserID, nil
	case id.MicrosoftTeamsApp != nil && id.MicrosoftTeamsApp.AppID != "":
		return "28:orgid:" + id.MicrosoftTeamsApp.AppID, nil
	}
	return "", callrec.FieldErrorf(field, "InvalidIdentifier", "%s has no rawId and no typed identifier", field)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
