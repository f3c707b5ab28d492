package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest"
	"github.com/callrec/callrec/jointoken"
	"github.com/callrec/callrec/simulate"
)

// offerSDP makes a real offer from a Pion peer sending audio (Opus).
func offerSDP(t *testing.T, kind webrtc.RTPCodecType) string {
	t.Helper()
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

type whipAttempt struct {
	name        string
	path        string
	contentType string
	auth        string
	body        string
	status      int
	code        string
}

// TestWHIPRejectsBadRequests: malformed SDP, a missing, wrong, expired or
// misdirected token and other client mistakes get 4xx with clear codes.
func TestWHIPRejectsBadRequests(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	other := h.createCall(t)
	const alice = "8:acs:callrec_alice"
	good := h.token(callID, alice)
	expired, _ := jointoken.Mint(h.key, callID, alice, time.Hour, time.Now().Add(-2*time.Hour))
	offer := offerSDP(t, webrtc.RTPCodecTypeAudio)
	noFingerprint := regexp.MustCompile(`(?m)^a=fingerprint:.*\r\n`).ReplaceAllString(offer, "")
	whip := "/calls/" + callID + "/whip"

	cases := []whipAttempt{
		{"not sdp", whip, "application/json", "Bearer " + good, offer, 415, callrec.CodeUnsupportedMedia},
		{"no token", whip, "application/sdp", "", offer, 401, jointoken.CodeMissingToken},
		{"basic auth", whip, "application/sdp", "Basic YTpi", offer, 401, jointoken.CodeMissingToken},
		{"garbage token", whip, "application/sdp", "Bearer nonsense", offer, 401, jointoken.CodeInvalidToken},
		{"tampered token", whip, "application/sdp", "Bearer " + tamper(good), offer, 401, jointoken.CodeInvalidToken},
		{"token from another key", whip, "application/sdp", "Bearer " + foreignToken(callID, alice), offer, 401, jointoken.CodeInvalidToken},
		{"expired token", whip, "application/sdp", "Bearer " + expired, offer, 401, jointoken.CodeTokenExpired},
		{"token for another call", "/calls/" + other + "/whip", "application/sdp", "Bearer " + good, offer, 403, jointoken.CodeTokenWrongCall},
		{"unknown call", "/calls/nosuchcall/whip", "application/sdp", "Bearer " + h.token("nosuchcall", alice), offer, 404, callrec.CodeCallNotFound},
		{"malformed sdp", whip, "application/sdp", "Bearer " + good, "hello, this is not SDP", 400, ingest.CodeInvalidSDP},
		{"no media sections", whip, "application/sdp", "Bearer " + good, offer[:strings.Index(offer, "m=")], 400, ingest.CodeNoOpusAudio},
		{"cut mid-line", whip, "application/sdp", "Bearer " + good, "v=0\r\no=- 1 1 IN IP4", 400, ingest.CodeInvalidSDP},
		{"bad media line", whip, "application/sdp", "Bearer " + good, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio notaport UDP/TLS/RTP/SAVPF 111\r\n", 400, ingest.CodeInvalidSDP},
		{"video only", whip, "application/sdp", "Bearer " + good, offerSDP(t, webrtc.RTPCodecTypeVideo), 400, ingest.CodeNoOpusAudio},
		{"no fingerprint", whip, "application/sdp", "Bearer " + good, noFingerprint, 400, ingest.CodeInvalidSDP},
		{"display name too long", whip + "?name=" + strings.Repeat("n", 65), "application/sdp", "Bearer " + good, offer, 400, ingest.CodeInvalidDisplayName},
		{"display name with a control character", whip + "?name=a%0Ab", "application/sdp", "Bearer " + good, offer, 400, ingest.CodeInvalidDisplayName},
		{"display name not UTF-8", whip + "?name=%FF", "application/sdp", "Bearer " + good, offer, 400, ingest.CodeInvalidDisplayName},
		{"huge body", whip, "application/sdp", "Bearer " + good, offer + strings.Repeat("a=x-pad:"+strings.Repeat("x", 100)+"\r\n", 1000), 413, callrec.CodeBodyTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.url+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.contentType)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			checkError(t, req, c.status, c.code)
		})
	}
	t.Run("delete unknown session", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, h.url+"/whip/nosuchsession", nil)
		checkError(t, req, 404, ingest.CodeSessionNotFound)
	})
	t.Run("patch unknown session", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPatch, h.url+"/whip/nosuchsession", strings.NewReader("a=candidate"))
		req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
		checkError(t, req, 404, ingest.CodeSessionNotFound)
	})
	// Nothing above joined anyone.
	c, err := h.node.App.Service.Call(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Participants) != 0 {
		t.Errorf("rejected requests left participants behind: %+v", c.Participants)
	}
}

func tamper(token string) string {
	b := []byte(token)
	i := strings.IndexByte(token, '.') - 2
	b[i] ^= 1
	return string(b)
}

func foreignToken(callID, rawID string) string {
	tok, _ := jointoken.Mint([]byte("another key entirely"), callID, rawID, time.Hour, time.Now())
	return tok
}

func checkError(t *testing.T, req *http.Request, status int, code string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%d with a non-JSON body: %q", resp.StatusCode, body)
	}
	if resp.StatusCode != status || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("got %d %s (%q), want %d %s", resp.StatusCode, e.Error.Code, e.Error.Message, status, code)
	}
}

// TestLeaveAndRejoinIsOneParticipant: leaving and rejoining keeps one
// participant with its first joinedAt; events are joined, left, joined, left.
func TestLeaveAndRejoinIsOneParticipant(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	rec := subscribe(t, h.hub, callID)
	const bob = "8:acs:callrec_bob"
	for i := range 2 {
		if _, err := simulate.Join(context.Background(), h.options(callID, bob, "tone:660", time.Second)); err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		waitFor(t, 5*time.Second, "leave", func() bool { return len(rec.eventKinds(bob)) == 2*(i+1) })
		c, err := h.node.App.Service.Call(context.Background(), callID)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Participants) != 1 || c.Participants[0].RawID != bob || c.Participants[0].LeftAt == nil {
			t.Fatalf("after leave %d: participants %+v", i, c.Participants)
		}
	}
	want := []callrec.ParticipantEventKind{callrec.ParticipantJoined, callrec.ParticipantLeft, callrec.ParticipantJoined, callrec.ParticipantLeft}
	if got := rec.eventKinds(bob); !equalKinds(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	rec.mu.Lock()
	frames := rec.frames[bob]
	rec.mu.Unlock()
	for i := 1; i < len(frames); i++ {
		if frames[i].Pos < frames[i-1].Pos+callrec.FrameSamples {
			t.Fatalf("frame %d at %d overlaps the previous at %d", i, frames[i].Pos, frames[i-1].Pos)
		}
	}
}

func equalKinds(a, b []callrec.ParticipantEventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCloseDrainsSessions: Server.Close (SIGTERM) ends every session with a
// leave event and a recorded leave, and refuses new joins.
func TestCloseDrainsSessions(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	rec := subscribe(t, h.hub, callID)
	const carol = "8:acs:callrec_carol"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = simulate.Join(ctx, h.options(callID, carol, "tone:440", 20*time.Second))
	}()
	waitFor(t, 10*time.Second, "frames", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.frames[carol]) > 10
	})
	if n := scrapeMetrics(t, h.node.MetricsURL)["callrec_ingest_participants"]; n != 1 {
		t.Errorf("participants gauge %v while one publishes", n)
	}
	closeCtx, closeCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer closeCancel()
	if err := h.ingest.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	if got := rec.eventKinds(carol); len(got) != 2 || got[1] != callrec.ParticipantLeft {
		t.Fatalf("events after Close: %v", got)
	}
	if n := scrapeMetrics(t, h.node.MetricsURL)["callrec_ingest_participants"]; n != 0 {
		t.Errorf("participants gauge %v after Close", n)
	}
	c, err := h.node.App.Service.Call(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Participants) != 1 || c.Participants[0].LeftAt == nil {
		t.Fatalf("participants after Close: %+v", c.Participants)
	}
	_, err = simulate.Join(context.Background(), h.options(callID, "8:acs:late", "silence", time.Second))
	var we *simulate.WHIPError
	if !asWHIPError(err, &we) || we.Status != http.StatusServiceUnavailable {
		t.Fatalf("join after Close: %v, want 503", err)
	}
	cancel()
	<-done
}

func asWHIPError(err error, target **simulate.WHIPError) bool {
	we, ok := err.(*simulate.WHIPError)
	if ok {
		*target = we
	}
	return ok
}

// TestWHIPAcceptsVideoAndManagesSession: an offer with audio and video gets
// 201, an answer that accepts both, and a Location; PATCH on it is 405 (no
// trickle ICE), DELETE is 200, and a second DELETE is 404.
func TestWHIPAcceptsVideoAndManagesSession(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/calls/"+callID+"/whip", strings.NewReader(offer.SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+h.token(callID, "8:acs:callrec_camera"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("POST: %s %q", resp.Status, answer)
	}
	for _, want := range []string{"m=audio ", "m=video 9 ", "VP8/90000", "b=AS:", "a=recvonly", "opus/48000/2", "a=candidate:"} {
		if !strings.Contains(string(answer), want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/whip/") {
		t.Fatalf("Location %q", loc)
	}
	patch, _ := http.NewRequest(http.MethodPatch, h.url+loc, strings.NewReader("a=end-of-candidates\r\n"))
	patch.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	resp, err = http.DefaultClient.Do(patch)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
		t.Fatalf("PATCH: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	del, _ := http.NewRequest(http.MethodDelete, h.url+loc, nil)
	resp, err = http.DefaultClient.Do(del)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %s", resp.Status)
	}
	del, _ = http.NewRequest(http.MethodDelete, h.url+loc, nil)
	checkError(t, del, http.StatusNotFound, ingest.CodeSessionNotFound)
}

// TestWHIPAnswersOpusWhenOfferPrefersPCMU: an offer listing PCMU before
// Opus is answered with Opus only.
func TestWHIPAnswersOpusWhenOfferPrefersPCMU(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	var me webrtc.MediaEngine
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
	} {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(offer.SDP, "m=audio 9 UDP/TLS/RTP/SAVPF 0 111") {
		t.Fatalf("the offer does not prefer PCMU:\n%s", offer.SDP)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/calls/"+callID+"/whip", strings.NewReader(offer.SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+h.token(callID, "8:acs:callrec_pcmu"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(answer), "opus/48000/2") || strings.Contains(string(answer), "PCMU") {
		t.Fatalf("%s:\n%s", resp.Status, answer)
	}
}
