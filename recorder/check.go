package recorder

import "github.com/callrec/callrec"

// Check implements callrec.RecordingEngine: the engine records audio to
// WAV, mixed or unmixed; mp3 and audioVideo/mp4 are refused with a coded
// error until their writers exist.
func (e *Engine) Check(spec *callrec.RecordingSpec) error {
	return validateForEngine(&callrec.Recording{ID: "check", Spec: *spec})
}
