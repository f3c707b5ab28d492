package benchlive

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLiveBrowsersAndPhones runs the benchmark with both kinds in every
// call against a child `callrec serve`: two calls of three, each two
// browsers (Opus over WHIP, participants 0 and 2) and a phone (G.711 over
// SIP, participant 1), for 3 s. Both kinds connect; the server's packet
// counters, WebRTC's and SIP's summed, account for every kind's packets;
// media delay comes from the browsers alone; every recording holds every
// participant's tone, the phone's band-limited one included.
func TestLiveBrowsersAndPhones(t *testing.T) {
	res := runLive(t, 3*time.Minute, Config{
		Calls: 2, Participants: 3, Hold: 3 * time.Second, Transport: TransportMixed,
	})
	if res.CallsHeld != 2 || res.Participants != 6 || res.Phones != 2 {
		t.Errorf("held %d calls, %d participants of which %d phones; want 2 calls, 6 participants, 2 phones",
			res.CallsHeld, res.Participants, res.Phones)
	}
	// Every participant's tone is in its call's recording, for as long as
	// it was sent, and without a gap, unless the simulator itself stalled
	// past what the server's reorder window absorbs (under -race on a
	// loaded machine): a gap is then where the sender was late, not lost
	// by the server, and is only logged.
	if res.Recordings != 2 {
		t.Errorf("%d recordings checked, want 2", res.Recordings)
	}
	for _, p := range res.Problems {
		gapOnly := strings.Contains(p, " gaps in ") && !strings.Contains(p, "absent") && !strings.Contains(p, " sent")
		if res.SenderMaxLate >= senderStall && gapOnly {
			t.Logf("the sender stalled (late by up to %s): %s", res.SenderMaxLate, p)
			continue
		}
		t.Errorf("recording not intact: %s", p)
	}
	if res.SenderMaxLate < senderStall && res.Intact != 2 {
		t.Errorf("intact %d/2 with the sender on time", res.Intact)
	}
	// 6 participants × (1 s warm-up + 3 s) at 50 packets/s. The phones send
	// a third of the packets: a count of one kind alone would fall short.
	if res.Sent < 6*4*50 || res.Received < res.Sent*98/100 || res.Received > res.Sent {
		t.Errorf("sent %d, server received %d", res.Sent, res.Received)
	}
	// The browsers' packets in the window (4 × 3 s × 50), and no more than
	// theirs: the phones' would add half as many again.
	browserMax := int(4 * 50 * (res.Window.Seconds() + 1))
	if res.DelaySamples < 4*3*50*9/10 || res.DelaySamples > browserMax {
		t.Errorf("%d delay samples, want the browsers' 600 or so (at most %d)", res.DelaySamples, browserMax)
	}
	if !res.ServerMeasured || res.CPUPerParticipantMin <= 0 || res.FloorPerParticipantMin <= 0 ||
		len(res.FloorWindowSlices) != windowFloorSlices || len(res.FloorQuietRuns) != 2 {
		t.Errorf("server %s per participant-minute; floor %s, %d quiet runs, %d slices in the window",
			res.CPUPerParticipantMin, res.FloorPerParticipantMin, len(res.FloorQuietRuns), len(res.FloorWindowSlices))
	}
	var report strings.Builder
	res.Report(&report)
	for _, want := range []string{"4 browsers over WebRTC, 2 phones over SIP", "WebRTC participants only",
		"bare Opus decode (browsers) + G.711 decode and 8→16 kHz upsampling (phones)"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("the report does not say %q", want)
		}
	}
	line := regexp.MustCompile(`^live: transport=mixed calls=2 participants=6 loss=[0-9.]+% cpu_per_participant_min=[0-9.]+ mem_per_call=[0-9]+ intact=[0-2]/2$`)
	if !line.MatchString(res.Line()) {
		t.Errorf("summary line %q", res.Line())
	}
}

// senderStall is how late the simulator's pacing may run before a gap in
// a browser's track can be the sender's own (the server's reorder window
// waits 120 ms at the least).
const senderStall = 100 * time.Millisecond

// In a mixed call the participants alternate, a browser first.
func TestMixedAlternates(t *testing.T) {
	cfg := Config{Calls: 1, Participants: 5, Hold: time.Second, Transport: TransportMixed, ConnectionString: "x", MetricsURL: "y"}
	if err := cfg.defaults(); err == nil {
		t.Error("a running server's phones need its SIP address")
	}
	cfg.SIPAddr = "127.0.0.1:5060"
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	var kinds []bool
	for k := range cfg.Participants {
		kinds = append(kinds, cfg.phoneAt(k))
	}
	if want := []bool{false, true, false, true, false}; !slices.Equal(kinds, want) {
		t.Errorf("phones at %v, want %v", kinds, want)
	}
	cfg.Participants = maxPhoneParticipants + 1
	if err := cfg.defaults(); err == nil {
		t.Errorf("%d participants: the last phone's tone would leave the telephone band", cfg.Participants)
	}
}
