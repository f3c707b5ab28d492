package siprec_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/siprec"
)

// Tones of the SBC scenarios: one per participant.
const (
	toneA, toneB, toneC = 440.0, 1000.0, 1500.0
	toneAmp             = 0.5
	phaseMs             = 2000
)

// TestSippSBC: sipp as an SBC (RFC 7866) sends an INVITE with two
// labelled PCMA streams and plays two tones, then a re-INVITE adding a
// third participant and stream (three tones), then BYE. The session is one
// callrec call (its serverCallId derived from the communication session),
// with one recording of three channels, each participant's tone on its
// channel (in metadata order) when it was sent, downloaded through the Go
// SDK.
func TestSippSBC(t *testing.T) {
	for _, tc := range []struct{ name, scenario, session string }{
		{"rfc7865", "rfc7865-three-participants.xml", "hVpd7YQgRW2nD22h7q60JQ=="},
		{"legacy", "legacy-three-participants.xml", "urn:uuid:2b779b67-cfb6-44d2-9640-c00bdb32a572"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// sipp replays the captures' streams to the answered port
			// and the next ones (+2, +4), so the re-INVITE's third stream
			// must be answered on the port after the first two: callrec
			// answers there when it is free, else anywhere. The node gets
			// RTP ports of its own, free now, rather than the default
			// range that every callrec on the machine starts at.
			rtp := freeUDPPort(t)
			n := startNode(t, testserver.WithConfig(func(c *app.Config) { c.SIPRTPPorts = fmt.Sprintf("%d-%d", rtp, rtp+7) }))
			dir := t.TempDir()
			pcap1, pcap2 := filepath.Join(dir, "two.pcap"), filepath.Join(dir, "three.pcap")
			// The second capture's streams have new SSRCs (as an SBC that
			// re-creates its streams at a re-INVITE): each settles a new
			// mapping at its arrival, whatever the time between the two.
			writePCAP(t, pcap1, phaseMs, pcapStream{toneA, toneAmp, 0x1111, 0}, pcapStream{toneB, toneAmp, 0x2222, 0})
			writePCAP(t, pcap2, phaseMs, pcapStream{toneA, toneAmp, 0x1112, 500}, pcapStream{toneB, toneAmp, 0x2223, 500},
				pcapStream{toneC, toneAmp, 0x3333, 0})
			n.runSipp(t, tc.scenario, map[string]string{"PCAP1": pcap1, "PCAP2": pcap2, "SESSIONID": tc.session})

			callID := siprec.ServerCallID(tc.session, 0)
			call := n.call(t, callID, callrec.CallEnded)
			var ids []string
			for _, p := range call.Participants {
				ids = append(ids, p.RawID)
			}
			partA, partB, partC := "4:+14255550101", "sip:agent7@pbx.example", "4:+14255550103"
			slices.Sort(ids)
			if want := []string{partA, partC, partB}; !slices.Equal(ids, want) {
				t.Errorf("call participants %v, want %v", ids, want)
			}
			recs := n.recordings(t, callID)
			if len(recs) != 1 {
				t.Fatalf("recordings %+v, want one", recs)
			}
			audios, metas := n.download(t, recs[0].RecordingID)
			if len(audios) != 1 {
				t.Fatalf("%d chunks, want 1", len(audios))
			}
			md, x := metas[0], audios[0]
			chA, chB, chC := channelOf(md, partA), channelOf(md, partB), channelOf(md, partC)
			if chA != 0 || chB != 1 || chC != 2 {
				t.Fatalf("channels A %d, B %d, C %d; want 0, 1, 2 (metadata order): %+v", chA, chB, chC, md.Participants)
			}
			checkSIPRECBlock(t, md.Callrec, tc.session, []string{partA, partB, partC})
			a, b, c := spans(x[chA]), spans(x[chB]), spans(x[chC])
			t.Logf("tone spans (samples): A %v, B %v, C %v", a, b, c)
			if len(a) != 2 || len(b) != 2 || len(c) != 1 {
				t.Fatalf("tone spans A %v, B %v, C %v: want A and B in both phases, C in the second", a, b, c)
			}
			const tol = 100 * 16 // 100 ms: replay and scheduling on a loaded machine
			for i, s := range [][2]int{a[0], a[1], b[0], b[1], c[0]} {
				if d := s[1] - s[0]; d < phaseMs*16-tol || d > phaseMs*16+tol {
					t.Errorf("span %d lasts %d samples, want %d", i, d, phaseMs*16)
				}
			}
			// The streams of one phase were sent together: they start
			// together; the second phase starts after the re-INVITE.
			for _, p := range [][2]int{{a[0][0], b[0][0]}, {a[1][0], b[1][0]}, {a[1][0], c[0][0]}} {
				if d := p[1] - p[0]; d < -tol || d > tol {
					t.Errorf("streams of one phase start %d samples apart", d)
				}
			}
			if d := a[1][0] - a[0][0]; d < (phaseMs+500)*16 {
				t.Errorf("the second phase starts %d samples after the first, want ≥ %d", d, (phaseMs+500)*16)
			}
			for _, k := range []struct {
				name string
				ch   []int16
				s    [2]int
				f    float64
			}{{"A1", x[chA], a[0], toneA}, {"A2", x[chA], a[1], toneA}, {"B1", x[chB], b[0], toneB}, {"B2", x[chB], b[1], toneB}, {"C", x[chC], c[0], toneC}} {
				checkTone(t, k.name, k.ch, k.s[0]+1600, k.s[1]-1600, k.f, toneAmp)
			}
		})
	}
}

// checkSIPRECBlock checks the callrec.siprec block of a metadata document.
func checkSIPRECBlock(t *testing.T, raw json.RawMessage, session string, rawIDs []string) {
	t.Helper()
	var b struct {
		SIPREC siprec.BlockSession `json:"siprec"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Errorf("callrec block %s: %v", raw, err)
		return
	}
	var got []string
	for _, p := range b.SIPREC.Participants {
		got = append(got, p.RawID)
	}
	if b.SIPREC.SessionID != session || !slices.Equal(got, rawIDs) || len(b.SIPREC.Streams) != len(rawIDs) {
		t.Errorf("callrec block %s: want session %s, participants %v", raw, session, rawIDs)
	}
}
