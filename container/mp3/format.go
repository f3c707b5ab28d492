package mp3

// The one format this package writes, as Azure Communication Services
// records mixed audio.
const (
	// SampleRate is the sample rate of input and output, in Hz.
	SampleRate = 16000
	// BitRate is the constant bit rate, in bits per second.
	BitRate = 48000
	// SamplesPerFrame is the number of samples one MPEG-2 Layer III frame
	// holds.
	SamplesPerFrame = 576
	// FrameBytes is the size of one frame without padding:
	// 72 × BitRate / SampleRate.
	FrameBytes = 72 * BitRate / SampleRate
)
