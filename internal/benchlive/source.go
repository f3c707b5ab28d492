package benchlive

import (
	"fmt"
	"sync"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
)

// Tones are 20 ms Opus packets at 48 kHz. A looping clip is warmUpFrames of
// tone and two one-second periods; playback sends everything once, then
// repeats the second period, which decodes without a glitch at the wrap
// because the packet before it left the encoder in the same state.
const (
	opusRate      = 48000
	frameSamples  = 960 // 20 ms at 48 kHz
	encodeBitrate = 32000
	warmUpFrames  = 10
	periodFrames  = 50
)

// clip is an encoded source: Packets in order, then Packets[loopFrom:]
// repeated for as long as needed. Its packets are Opus, or G.711 µ-law
// (8 kHz, 160 bytes) for phones.
type clip struct {
	packets  [][]byte
	loopFrom int
	pcmu     bool
}

// packet returns the i-th packet of the endless playback.
func (c *clip) packet(i int) []byte {
	if i < len(c.packets) {
		return c.packets[i]
	}
	loop := len(c.packets) - c.loopFrom
	return c.packets[c.loopFrom+(i-c.loopFrom)%loop]
}

type toneKey struct {
	freq int
	amp  float64
	pcmu bool
	beep int // the beep's frequency (beepClip), or 0
}

type clipEntry struct {
	once sync.Once
	clip *clip
	err  error
}

// clips caches encoded tones for the life of the process: each source is
// encoded once, whatever the number of participants that send it.
var clips sync.Map // toneKey → *clipEntry

// toneClip returns the clip of a sine at freq Hz (an integer, so that one
// second holds whole cycles) and peak amplitude amp (of full scale).
func toneClip(freq int, amp float64) (*clip, error) {
	v, _ := clips.LoadOrStore(toneKey{freq: freq, amp: amp}, &clipEntry{})
	e := v.(*clipEntry)
	e.once.Do(func() { e.clip, e.err = encodeTone(freq, amp) })
	return e.clip, e.err
}

// phoneClip returns the clip of a sine at freq Hz and amplitude amp in
// G.711 µ-law: one second of 20 ms packets, looped (G.711 has no state).
func phoneClip(freq int, amp float64) (*clip, error) {
	v, _ := clips.LoadOrStore(toneKey{freq: freq, amp: amp, pcmu: true}, &clipEntry{})
	e := v.(*clipEntry)
	e.once.Do(func() {
		pcm := audio.Sine(float64(freq), amp, 8000, periodFrames*160)
		c := &clip{pcmu: true}
		for k := range periodFrames {
			b := make([]byte, 160)
			g711.PCMU.Encode(b, pcm[k*160:(k+1)*160])
			c.packets = append(c.packets, b)
		}
		e.clip = c
	})
	return e.clip, e.err
}

func encodeTone(freq int, amp float64) (*clip, error) {
	if freq <= 0 || freq >= opusRate/2 {
		return nil, fmt.Errorf("benchlive: tone %d Hz out of range", freq)
	}
	enc, err := audio.NewOpusEncoder(opusRate, encodeBitrate)
	if err != nil {
		return nil, err
	}
	frames := warmUpFrames + 2*periodFrames
	packets, err := enc.EncodeAll(audio.Sine(float64(freq), amp, opusRate, frames*frameSamples))
	if err != nil {
		return nil, err
	}
	if len(packets) != frames {
		return nil, fmt.Errorf("benchlive: encoder returned %d packets for %d frames", len(packets), frames)
	}
	return &clip{packets: packets, loopFrom: warmUpFrames + periodFrames}, nil
}

// toneFrequency is the tone of the k-th participant of a call: multiples
// of 200 Hz, which fall on exact bins of the 10 ms analysis window at
// 16 kHz (100 Hz apart), so that tones mixed together do not leak into
// each other's bins.
func toneFrequency(k int) int { return 400 + 200*k }

// toneAmplitude keeps a mix of n tones below full scale (no clipping, so
// no intermodulation lands on another participant's bin).
func toneAmplitude(n int) float64 { return min(0.3, 0.9/float64(n)) }
