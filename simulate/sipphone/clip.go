package sipphone

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/g722"
	"github.com/callrec/callrec/simulate"
)

// Codec is an audio codec a simulated phone sends.
type Codec string

// The codecs a phone offers (one per call), by their SDP encoding names.
const (
	PCMU Codec = "PCMU"
	PCMA Codec = "PCMA"
	G722 Codec = "G722"
	// Opus is sent at 48 kHz in 20 ms packets, on payload type 111.
	Opus Codec = "opus"
)

// ParseCodec accepts a codec's name in any case ("pcmu", "G722", "g.722").
func ParseCodec(s string) (Codec, error) {
	switch strings.ToUpper(strings.ReplaceAll(s, ".", "")) {
	case "PCMU", "G711U", "ULAW":
		return PCMU, nil
	case "PCMA", "G711A", "ALAW":
		return PCMA, nil
	case "G722":
		return G722, nil
	case "OPUS":
		return Opus, nil
	}
	return "", fmt.Errorf("codec %q: want PCMU, PCMA, G722 or opus", s)
}

// PayloadType is the codec's static RTP payload type (RFC 3551), or
// 111 for Opus (dynamic, as browsers number it).
func (c Codec) PayloadType() uint8 {
	switch c {
	case Opus:
		return 111
	case PCMA:
		return 8
	case G722:
		return 9
	}
	return 0
}

// Rate is the sample rate of the audio the codec carries (G.722: 16 kHz,
// on an 8000 Hz RTP clock).
func (c Codec) Rate() int {
	switch c {
	case G722:
		return 16000
	case Opus:
		return 48000
	}
	return 8000
}

// TimestampStep is how far the RTP timestamp moves per 20 ms packet: 160
// for G.711 and G.722 (whose RTP clock is 8000 Hz); Opus's is Step.
const TimestampStep = 160

// Step is how far the RTP timestamp moves per 20 ms packet of c: 960 for
// Opus (48000 Hz RTP clock, RFC 7587), else TimestampStep.
func (c Codec) Step() uint32 {
	if c == Opus {
		return 960
	}
	return TimestampStep
}

// rtpmap is the codec's a=rtpmap encoding.
func (c Codec) rtpmap() string {
	if c == Opus {
		return "opus/48000/2"
	}
	return string(c) + "/8000"
}

// Clip is a source encoded as 20 ms packets of one codec, played as
// simulate.Clip plays Opus packets.
type Clip struct {
	simulate.Clip
	Codec Codec
}

var clips sync.Map // codec + source → *clipEntry

type clipEntry struct {
	once sync.Once
	clip *Clip
	err  error
}

// LoadClip encodes a source once per process. Sources: "tone:<Hz>" (a sine
// at simulate.ToneAmplitude, below 4 kHz for G.711, 8 kHz for G.722 and
// 24 kHz for Opus), "silence", or the path of a 16-bit PCM WAV file at the
// codec's rate (8 kHz for PCMU and PCMA, 16 kHz for G722; for Opus 8, 12,
// 16, 24 or 48 kHz), mixed down to mono. Opus clips are those of WebRTC
// participants (simulate.LoadClip: audio.OpusEncoder, with in-band FEC).
func LoadClip(c Codec, source string) (*Clip, error) {
	v, _ := clips.LoadOrStore(string(c)+"\x00"+source, &clipEntry{})
	e := v.(*clipEntry)
	e.once.Do(func() { e.clip, e.err = encodeClip(c, source) })
	return e.clip, e.err
}

// loopPackets is one period of a looping source: 1 s, a whole number of
// cycles of any integer frequency.
const loopPackets = 50

func encodeClip(c Codec, source string) (*Clip, error) {
	if c == Opus {
		clip, err := simulate.LoadClip(source)
		if err != nil {
			return nil, err
		}
		return &Clip{Codec: c, Clip: *clip}, nil
	}
	rate := c.Rate()
	n := rate / 50
	switch {
	case strings.HasPrefix(source, "tone:"):
		freq, err := strconv.ParseFloat(strings.TrimPrefix(source, "tone:"), 64)
		if err != nil || freq <= 0 || freq >= float64(rate)/2 {
			return nil, fmt.Errorf("source %q: want tone:<Hz> with 0 < Hz < %d for %s", source, rate/2, c)
		}
		return encodeLoop(c, audio.Sine(freq, simulate.ToneAmplitude, rate, 2*loopPackets*n)), nil
	case source == "silence":
		return encodeLoop(c, make([]int16, 2*loopPackets*n)), nil
	case source == "":
		return nil, fmt.Errorf("empty source: want tone:<Hz>, silence or a WAV path")
	}
	pcm, err := simulate.ReadWAVSource(source)
	if err != nil {
		return nil, err
	}
	if pcm.Rate != rate {
		return nil, fmt.Errorf("source %s: %d Hz; %s takes %d Hz audio", source, pcm.Rate, c, rate)
	}
	packets := encode(c, pcm.Mono())
	if len(packets) == 0 {
		return nil, fmt.Errorf("source %s: no audio", source)
	}
	return &Clip{Codec: c, Clip: simulate.Clip{Packets: packets}}, nil
}

// encodeLoop encodes two periods and loops the second: G.722 is adaptive,
// and the end of the first period left its encoder in the state the loop's
// own last packet leaves, so the wrap decodes without a glitch.
func encodeLoop(c Codec, pcm []int16) *Clip {
	return &Clip{Codec: c, Clip: simulate.Clip{Packets: encode(c, pcm), LoopFrom: loopPackets}}
}

// encode cuts pcm into 20 ms packets (the last one padded with silence).
func encode(c Codec, pcm []int16) [][]byte {
	n := c.Rate() / 50
	enc := Encoder(c)
	var out [][]byte
	frame := make([]int16, n)
	for i := 0; i < len(pcm); i += n {
		clear(frame)
		copy(frame, pcm[i:min(i+n, len(pcm))])
		b := make([]byte, TimestampStep)
		out = append(out, b[:enc(b, frame)])
	}
	return out
}

// Encoder returns an encoding function for the codec: 20 ms of audio at
// the codec's rate in, 160 bytes out. G.722's keeps state between calls.
func Encoder(c Codec) func(dst []byte, pcm []int16) int {
	switch c {
	case PCMA:
		return g711.PCMA.Encode
	case G722:
		return g722.NewEncoder().Encode
	}
	return g711.PCMU.Encode
}
