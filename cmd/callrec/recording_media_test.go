package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate"
)

// TestCLIUnmixedRecordingOfARealCall drives a real call end to end through
// the CLI: two participants publish distinct tones over WebRTC (loopback);
// `recording start --affinity --order` decides their channels; the file the
// CLI downloads by recording id must carry each tone on its channel and
// silence elsewhere, and hash to the metadata's sha256.
func TestCLIUnmixedRecordingOfARealCall(t *testing.T) {
	if testing.Short() {
		t.Skip("real WebRTC call")
	}
	srv := testserver.Start(t)
	cs := srv.ConnectionString
	callID := singleLine(t, "call create", mustRun(t, cs, "call", "create"))
	id := singleLine(t, "recording start", mustRun(t, cs, "recording", "start", "--call", callID,
		"--channel", "unmixed", "--format", "wav", "--content", "audio",
		"--affinity", "3=4:+14255550123", "--order", "8:acs:res_alice"))

	speakers := []struct {
		raw  string
		freq float64
	}{{"8:acs:res_alice", 440}, {"4:+14255550123", 660}}
	se := simulate.LoopbackSettingEngine()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(speakers))
	for _, sp := range speakers {
		wg.Go(func() {
			_, err := simulate.Join(ctx, simulate.Options{
				ConnectionString: cs, CallID: callID, Participant: sp.raw,
				Source: "tone:" + strconv.FormatFloat(sp.freq, 'f', -1, 64), Duration: 1500 * time.Millisecond,
				SettingEngine: se,
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustRun(t, cs, "recording", "stop", id)

	// Every file of the recording, by its id: one chunk, media and metadata.
	files := strings.Fields(mustRun(t, cs, "recording", "download", id, "-o", t.TempDir()))
	if len(files) != 2 || !strings.HasSuffix(files[0], ".wav") || !strings.HasSuffix(files[1], ".metadata.json") {
		t.Fatalf("download by id wrote %v", files)
	}
	file := files[0]
	var md struct {
		SHA256       string `json:"sha256"`
		Participants []struct {
			ParticipantID string `json:"participantId"`
			Channel       *int   `json:"channel"`
		} `json:"participants"`
	}
	if b, err := os.ReadFile(files[1]); err != nil || json.Unmarshal(b, &md) != nil {
		t.Fatalf("metadata %s: %v", files[1], err)
	}
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(content); md.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("metadata sha256 %s, downloaded file hashes to %x", md.SHA256, sum)
	}
	a, err := wav.Read(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if a.Format.SampleRate != 16000 || len(a.Channels) != 5 {
		t.Fatalf("%d Hz, %d channels; want 16000 Hz, 5 channels", a.Format.SampleRate, len(a.Channels))
	}
	want := map[int]float64{0: 440, 3: 660} // alice first in --order takes channel 0; the phone is pinned to 3
	for ch, samples := range a.Channels {
		freq, ok := want[ch]
		if !ok {
			if peak := audio.Peak(samples); peak > 0.001 {
				t.Errorf("channel %d should be silent, peak %.4f", ch, peak)
			}
			continue
		}
		got, ratio := audio.DetectTone(samples, 16000, []float64{440, 660})
		if got != freq || ratio < 10 || audio.Peak(samples) < 0.05 {
			t.Errorf("channel %d: dominant %v Hz (ratio %.1f, peak %.3f), want %v Hz", ch, got, ratio, audio.Peak(samples), freq)
		}
	}
	channels := map[string]int{}
	for _, p := range md.Participants {
		if p.Channel != nil {
			channels[p.ParticipantID] = *p.Channel
		}
	}
	if channels["8:acs:res_alice"] != 0 || channels["4:+14255550123"] != 3 {
		t.Errorf("metadata channels %v", channels)
	}
}
