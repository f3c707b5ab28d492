package mp3

// encoder turns 16 kHz mono samples into MP3 frames. Its first output is a
// placeholder frame of FrameBytes bytes that tag later replaces.
type encoder interface {
	// encode appends the MP3 bytes ready so far to out.
	encode(pcm []int16, out []byte) ([]byte, error)
	// ready appends the MP3 bytes that became ready since the last call
	// (an encoder in another process works behind its input).
	ready(out []byte) ([]byte, error)
	// flush encodes what is buffered and appends the last frames to out.
	flush(out []byte) ([]byte, error)
	// tag returns the Info tag frame for the whole stream, after flush, of
	// frames audio frames and fileBytes bytes (the tag frame included)
	// holding samples samples.
	tag(frames, fileBytes, samples int64) ([]byte, error)
	// close releases the encoder; it is safe after flush or instead of it.
	close() error
}
