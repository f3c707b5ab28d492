package audio

// Decoder turns one stream's compressed packets into 16-bit PCM. A Decoder
// keeps state between packets and is used by one goroutine at a time.
type Decoder interface {
	// Decode decodes one packet into pcm and returns the number of samples
	// written. pcm must hold the packet's duration (MaxPacketSamples is
	// always enough).
	Decode(packet []byte, pcm []int16) (int, error)
	// Conceal synthesises len(pcm) samples for a lost packet from the
	// decoder's state (packet loss concealment). len(pcm) must be a
	// multiple of 2.5 ms of audio.
	Conceal(pcm []int16) (int, error)
	// Recover synthesises len(pcm) samples for the lost packet that came
	// just before next: from next's in-band forward error correction data
	// when it carries some (fromFEC), else by concealment.
	Recover(next []byte, pcm []int16) (n int, fromFEC bool, err error)
	// Reset forgets all state, as for a new stream.
	Reset()
}

// MaxPacketSamples is the largest number of samples one Opus packet (120 ms)
// decodes to at 16 kHz.
const MaxPacketSamples = 120 * 16

// OpusSampleRate is the output rate of OpusDecoder.
const OpusSampleRate = 16000
