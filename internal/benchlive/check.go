package benchlive

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
)

// The tone check slides a 10 ms window (its DFT bins are 100 Hz apart, so
// the participants' tones, multiples of 200 Hz, do not leak into each
// other) by 2.5 ms. A lost 20 ms frame leaves about 6 consecutive windows
// without the tone; a discontinuity (a few samples cut or inserted, which
// cancels a tone in the windows that straddle it) leaves at most 4.
const (
	analysisWindow = 160
	analysisHop    = 40
	gapHops        = 5 // 12.5 ms of windows without the tone is a gap
)

// tonePresence says, for each window position, whether freq is within
// 10 dB of its level (power at least threshold).
func tonePresence(x []int16, freq int, threshold float64) []bool {
	var present []bool
	for w := 0; w+analysisWindow <= len(x); w += analysisHop {
		present = append(present, audio.TonePower(x[w:w+analysisWindow], 16000, float64(freq)) >= threshold)
	}
	return present
}

// settledHops is a window's length in hops: the tone counts as started
// (or still going) once it is present through that many windows in a row.
const settledHops = analysisWindow / analysisHop

// toneSpan returns the first and the last window of the tone's span, or -1,
// -1 if it never settles. The span starts at the first of settledHops
// windows in a row with the tone, and ends at the last of such a run: the
// windows that straddle the stream's start or end hold a part of a window
// of tone, whose power rises through the threshold unevenly (an Opus
// stream's first frame is the encoder's start-up, then the tone starts
// at once), so present, absent, present there is the tone's onset, not a
// click.
func toneSpan(present []bool) (first, last int) {
	first, last = -1, -1
	run := 0
	for i, on := range present {
		if !on {
			run = 0
			continue
		}
		if run++; run >= settledHops {
			if first < 0 {
				first = i - settledHops + 1
			}
			last = i
		}
	}
	return first, last
}

// trackCheck is what one participant's audio looks like in the file.
type trackCheck struct {
	Participant string
	Freq        int
	Channel     int
	Covered     time.Duration   // from the first to the last window with the tone
	Sent        time.Duration   // how long the participant sent
	Gaps        int             // holes of 12.5 ms or more without the tone, between the first and the last
	Clicks      int             // shorter dips: a discontinuity (a few samples cut or inserted), not missing audio
	ClickAt     []time.Duration // where each click starts in the file
	FirstGap    time.Duration   // where the first gap starts in the file
	GapZeros    int             // samples exactly zero in the first gap window (silence inserted, not a dip)
	GapDBFS     float64         // level of the channel in the first gap window
}

// recordingCheck is the verdict on one recording's files.
type recordingCheck struct {
	RecordingID string
	Tracks      []trackCheck
	Problem     string // empty when intact; else every track's problem, separated by "; "
	Clicks      int    // discontinuities over all tracks (not counted against intact)
	Gaps        int    // gaps over all tracks
}

func (c recordingCheck) intact() bool { return c.Problem == "" }

func (c *recordingCheck) addProblem(p string) {
	if c.Problem != "" {
		c.Problem += "; "
	}
	c.Problem += p
}

// waitChunks waits for the stopped recording's files and returns its
// chunks in order.
func waitChunks(ctx context.Context, rec *callautomation.CallRecording, id string) ([]callautomation.RecordingChunk, error) {
	deadline := time.Now().Add(2 * time.Minute) // a composite's encoders may be behind
	var res *callautomation.RecordingResult
	for {
		r, err := rec.Result(ctx, id)
		if err == nil && r.SessionEndReason != "sessionStillOngoing" && len(r.RecordingStorageInfo.RecordingChunks) > 0 {
			res = r
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("recording %s: no files 2 min after stop (last error: %v)", id, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	chunks := slices.Clone(res.RecordingStorageInfo.RecordingChunks)
	slices.SortFunc(chunks, func(a, b callautomation.RecordingChunk) int { return a.Index - b.Index })
	return chunks, nil
}

// fetchRecording waits for the stopped recording's files and returns its
// audio, channel by channel, chunks concatenated.
func fetchRecording(ctx context.Context, rec *callautomation.CallRecording, id string) ([][]int16, error) {
	chunks, err := waitChunks(ctx, rec, id)
	if err != nil {
		return nil, err
	}
	var channels [][]int16
	for _, ch := range chunks {
		var buf bytes.Buffer
		if _, err := rec.DownloadTo(ctx, ch.ContentLocation, &buf); err != nil {
			return nil, fmt.Errorf("download %s: %w", ch.ContentLocation, err)
		}
		a, err := wav.Read(&buf)
		if err != nil {
			return nil, fmt.Errorf("recording %s chunk %d: %w", id, ch.Index, err)
		}
		if a.SampleRate != 16000 {
			return nil, fmt.Errorf("recording %s: %d Hz, want 16000", id, a.SampleRate)
		}
		if channels == nil {
			channels = make([][]int16, len(a.Channels))
		}
		if len(a.Channels) != len(channels) {
			return nil, fmt.Errorf("recording %s: chunks with %d and %d channels", id, len(channels), len(a.Channels))
		}
		for i := range channels {
			channels[i] = append(channels[i], a.Channels[i]...)
		}
	}
	return channels, nil
}

// checkTracks finds each participant's tone in the file (on the channel
// where it is strongest) and checks it runs without a gap for as long as
// the participant sent it.
func checkTracks(channels [][]int16, ps []*participant, amp float64) recordingCheck {
	var c recordingCheck
	if len(channels) == 0 || len(channels[0]) == 0 {
		c.Problem = "empty file"
		return c
	}
	// A tone of peak amplitude amp has a window power of about amp²/4;
	// present means within 10 dB of that.
	threshold := amp * amp / 4 / 10
	for _, p := range ps {
		t := trackCheck{Participant: p.rawID, Freq: p.freq, Channel: -1}
		if p.sent > 0 {
			t.Sent = p.last.Sub(p.first) + frameInterval
		}
		best := 0.0
		for i, ch := range channels {
			if pw := audio.TonePower(ch, 16000, float64(p.freq)); pw > best {
				best, t.Channel = pw, i
			}
		}
		if t.Channel < 0 {
			c.Tracks = append(c.Tracks, t)
			c.addProblem(fmt.Sprintf("%s: %d Hz tone absent", p.rawID, p.freq))
			continue
		}
		x := channels[t.Channel]
		present := tonePresence(x, p.freq, threshold)
		first, last := toneSpan(present)
		if first >= 0 {
			t.Covered = time.Duration(last-first)*analysisHop*time.Second/16000 + 10*time.Millisecond
			for i := first; i <= last; {
				if present[i] {
					i++
					continue
				}
				run := 0
				for i+run <= last && !present[i+run] {
					run++
				}
				if run < gapHops {
					t.Clicks++
					t.ClickAt = append(t.ClickAt, time.Duration(i)*analysisHop*time.Second/16000)
				} else {
					if t.Gaps == 0 {
						t.FirstGap = time.Duration(i) * analysisHop * time.Second / 16000
						w := x[i*analysisHop : i*analysisHop+analysisWindow]
						t.GapDBFS = audio.DBFS(audio.RMS(w))
						for _, v := range w {
							if v == 0 {
								t.GapZeros++
							}
						}
					}
					t.Gaps++
				}
				i += run
			}
		}
		c.Tracks = append(c.Tracks, t)
		c.Clicks += t.Clicks
		c.Gaps += t.Gaps
		// Every participant's problem is named, not only the first's: a
		// report naming the first participant checked alone read as if
		// participant 0 of every call lost audio, when all three did.
		switch {
		case first < 0:
			c.addProblem(fmt.Sprintf("%s: %d Hz tone absent", p.rawID, p.freq))
		case t.Gaps > 0:
			c.addProblem(fmt.Sprintf("%s: %d gaps in %s of audio, the first at %s (%d of %d samples zero there, %.1f dBFS)",
				p.rawID, t.Gaps, t.Covered, t.FirstGap, t.GapZeros, analysisWindow, t.GapDBFS))
		case t.Covered < t.Sent-300*time.Millisecond:
			c.addProblem(fmt.Sprintf("%s: %s of audio in the file, %s sent", p.rawID, t.Covered, t.Sent))
		}
	}
	return c
}
