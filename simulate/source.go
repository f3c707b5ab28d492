package simulate

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callrec/callrec/audio"
)

// ToneAmplitude is the peak amplitude (relative to full scale) of tone
// sources: their RMS level is ToneAmplitude/√2, about -9 dBFS.
const ToneAmplitude = 0.5

const (
	encodeBitrate = 32000
	// fecExpectedLoss sizes the in-band FEC that clips carry, as a browser
	// does once its receiver reports some loss.
	fecExpectedLoss = 10
	// Looping clips are encoded as loopStart warm-up frames and two periods
	// of loopLen; everything plays once, then the second period repeats.
	loopStart = 10
	loopLen   = 50 // 1 s: a whole number of cycles of any integer frequency
)

// Clip is a source encoded as 20 ms Opus packets at 48 kHz. Playback sends
// Packets in order, then repeats Packets[LoopFrom:] for as long as needed.
type Clip struct {
	Packets  [][]byte
	LoopFrom int
}

// Packet returns the i-th packet of the endless playback.
func (c *Clip) Packet(i int) []byte {
	if i < len(c.Packets) {
		return c.Packets[i]
	}
	loop := len(c.Packets) - c.LoopFrom
	return c.Packets[c.LoopFrom+(i-c.LoopFrom)%loop]
}

var clipCache sync.Map // source spec → *clipEntry

type clipEntry struct {
	once sync.Once
	clip *Clip
	err  error
}

// LoadClip encodes a source once per process and returns its clip. Sources:
// "tone:<Hz>" (a sine at ToneAmplitude), "silence", or the path of a 16-bit
// PCM WAV file at 8, 12, 16, 24 or 48 kHz (mixed down to mono).
func LoadClip(source string) (*Clip, error) {
	v, _ := clipCache.LoadOrStore(source, &clipEntry{})
	e := v.(*clipEntry)
	e.once.Do(func() { e.clip, e.err = encodeSource(source) })
	return e.clip, e.err
}

// BeepSuffix on a tone or silence source (tone:440+beep) adds a beep of
// BeepHz for BeepDuration every FlashPeriod, starting at the first sample:
// the sound of a synthetic video's flash.
const (
	BeepSuffix   = "+beep"
	BeepHz       = 2000
	BeepDuration = 100 * time.Millisecond
	FlashPeriod  = FlashEvery * time.Second / VideoFPS
)

func encodeSource(source string) (*Clip, error) {
	if base, ok := strings.CutSuffix(source, BeepSuffix); ok {
		return encodeBeeps(base)
	}
	switch {
	case strings.HasPrefix(source, "tone:"):
		freq, err := strconv.ParseFloat(strings.TrimPrefix(source, "tone:"), 64)
		if err != nil || freq <= 0 || freq >= 24000 {
			return nil, fmt.Errorf("source %q: want tone:<Hz> with 0 < Hz < 24000", source)
		}
		return encodeLoop(48000, audio.Sine(freq, ToneAmplitude, 48000, (loopStart+2*loopLen)*960), loopLen)
	case source == "silence":
		return encodeLoop(48000, make([]int16, (loopStart+2*loopLen)*960), loopLen)
	case source == "":
		return nil, fmt.Errorf("empty source: want tone:<Hz>, silence or a WAV path")
	}
	pcm, err := ReadWAVSource(source)
	if err != nil {
		return nil, err
	}
	enc, err := newEncoder(pcm.Rate)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	packets, err := enc.EncodeAll(pcm.Mono())
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	if len(packets) == 0 {
		return nil, fmt.Errorf("source %s: no audio", source)
	}
	return &Clip{Packets: packets}, nil
}

func newEncoder(rate int) (*audio.OpusEncoder, error) {
	enc, err := audio.NewOpusEncoder(rate, encodeBitrate)
	if err != nil {
		return nil, err
	}
	if err := enc.EnableFEC(fecExpectedLoss); err != nil {
		return nil, err
	}
	return enc, nil
}

// encodeBeeps encodes a looping tone or silence with the flash's beeps:
// the loop is a whole number of flash periods, so that the beeps keep
// their times.
func encodeBeeps(base string) (*Clip, error) {
	period := int(FlashPeriod / frameInterval) // packets
	n := (loopStart + 2*period) * 960
	var pcm []int16
	switch {
	case strings.HasPrefix(base, "tone:"):
		freq, err := strconv.ParseFloat(strings.TrimPrefix(base, "tone:"), 64)
		if err != nil || freq <= 0 || freq >= 24000 {
			return nil, fmt.Errorf("source %q: want tone:<Hz> with 0 < Hz < 24000", base)
		}
		pcm = audio.Sine(freq, ToneAmplitude, 48000, n)
	case base == "silence":
		pcm = make([]int16, n)
	default:
		return nil, fmt.Errorf("source %q: beeps go with tone:<Hz> or silence", base)
	}
	beep := audio.Sine(BeepHz, ToneAmplitude, 48000, int(BeepDuration*48000/time.Second))
	for start := 0; start < n; start += period * 960 {
		copy(pcm[start:min(start+len(beep), n)], beep) // the beep replaces the tone
	}
	return encodeLoop(48000, pcm, period)
}

func encodeLoop(rate int, pcm []int16, loopLen int) (*Clip, error) {
	enc, err := newEncoder(rate)
	if err != nil {
		return nil, err
	}
	packets, err := enc.EncodeAll(pcm)
	if err != nil {
		return nil, err
	}
	if len(packets) != loopStart+2*loopLen {
		return nil, fmt.Errorf("encoder returned %d packets for %d frames", len(packets), loopStart+2*loopLen)
	}
	// Opus predicts each frame from the previous ones, so a packet decodes
	// cleanly only after the packets it was encoded after. The loop replays
	// the second period: the packet before it (the end of the first period)
	// left the encoder in the same steady state as the loop's own last
	// packet, so the wrap decodes without a glitch.
	return &Clip{Packets: packets, LoopFrom: loopStart + loopLen}, nil
}

// ReadWAVSource reads a WAV file source (16-bit PCM), its errors naming it.
func ReadWAVSource(path string) (audio.PCM, error) {
	f, err := os.Open(path)
	if err != nil {
		return audio.PCM{}, fmt.Errorf("source: %w", err)
	}
	defer f.Close()
	pcm, err := audio.ReadWAV(f)
	if err != nil {
		return audio.PCM{}, fmt.Errorf("source %s: %w", path, err)
	}
	return pcm, nil
}
