package benchlive

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

// TestLiveVideo runs the benchmark with video small: a child `callrec
// serve`, one call of two participants sending VP8 and Opus for 9 s (1 s
// of warm-up and an 8 s window: flashes at 0, 4 and 8 s), recorded as a
// mixed audioVideo MP4 that is downloaded and checked by content: ACS's
// format, both tones without a gap, red and green each in a tile of its
// own, and the flashes shown within a frame of their beeps.
func TestLiveVideo(t *testing.T) {
	res := runLive(t, 5*time.Minute, Config{
		Calls: 1, Participants: 2, Hold: 8 * time.Second, Video: true,
	})
	if res.CallsHeld != 1 || res.Participants != 2 {
		t.Errorf("held %d calls with %d participants, want 1 with 2", res.CallsHeld, res.Participants)
	}
	if res.Recordings != 1 || res.Intact != 1 {
		t.Errorf("intact %d/%d: %v", res.Intact, res.Recordings, res.Problems)
	}
	// The checks ran: frames in the file, both colours tiled through at
	// least a second, a flash matched with its beep, every beep counted.
	if res.VideoFrames == 0 || res.VideoExpected == 0 || res.VideoTiled < 16 || res.FlashMatched == 0 || res.Beeps < 2 {
		t.Errorf("composite checks: %d of %d frames, %d tiled of %d decoded, %d of %d flashes matched, %d beeps",
			res.VideoFrames, res.VideoExpected, res.VideoTiled, res.VideoDecoded, res.FlashMatched, res.Flashes, res.Beeps)
	}
	if res.FlashMaxOffset > compositeFrame {
		t.Errorf("a flash %s from its beep", res.FlashMaxOffset)
	}
	if !res.ServerMeasured || res.ServerCPU <= 0 || res.CPUPerRecordingMin() <= 0 || res.ServerRSSPeak <= 0 {
		t.Errorf("server not measured: cpu %s, rss %d", res.ServerCPU, res.ServerRSSPeak)
	}
	if !strings.Contains(res.Line(), " video=1 cpu_per_recording_min=") {
		t.Errorf("summary line %q", res.Line())
	}
}

// TestVideoOfferParses checks the offer with video is one an SDP parser
// takes, with the VP8 section bundled after the audio.
func TestVideoOfferParses(t *testing.T) {
	offer := offerSDP("AA:BB", "ufrag", "pwd", 1, 2)
	var sd sdp.SessionDescription
	if err := sd.Unmarshal([]byte(offer)); err != nil {
		t.Fatalf("%v:\n%s", err, offer)
	}
	if len(sd.MediaDescriptions) != 2 || sd.MediaDescriptions[1].MediaName.Media != "video" {
		t.Errorf("sections %+v, want audio then video", sd.MediaDescriptions)
	}
	for _, want := range []string{"a=group:BUNDLE 0 1\r\n", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "a=rtpmap:96 VP8/90000\r\n",
		"a=rtcp-fb:96 nack pli\r\n", "a=ssrc:2 cname:callrec-bench\r\n"} {
		if !strings.Contains(offer, want) {
			t.Errorf("offer lacks %q:\n%s", want, offer)
		}
	}
	if strings.Contains(offerSDP("AA:BB", "ufrag", "pwd", 1, 0), "m=video") {
		t.Error("an audio-only offer has a video section")
	}
}

// TestProcTreeHasChildren checks that a process's tree holds its live
// children and that the tree's CPU and memory include its own.
func TestProcTreeHasChildren(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	tree, err := procTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tree, func(p procStat) bool { return p.pid == cmd.Process.Pid && p.ppid == os.Getpid() }) {
		t.Errorf("the tree of %d lacks its child %d: %+v", os.Getpid(), cmd.Process.Pid, tree)
	}
	own, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if all, err := procTreeCPU(os.Getpid()); err != nil || all < own {
		t.Errorf("tree cpu %s (%v), the process alone %s", all, err, own)
	}
	// The process's own memory moves between reads; the child's is in the
	// tree's.
	child, err := procRSS(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if all, err := procTreeRSS(os.Getpid()); err != nil || all <= child {
		t.Errorf("tree rss %d (%v), the child alone %d", all, err, child)
	}
}
