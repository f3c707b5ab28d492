package wav

import (
	"fmt"
	"io"
	"os"
)

// Repair makes the WAV file at path valid after its writer stopped without
// Finalize (a crash): it drops a trailing partial sample frame and patches the
// RIFF and data sizes to the bytes that are on disk. It returns the file's
// Info after repair. A file whose header already matches is left as it is.
func Repair(path string) (Info, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Info{}, fmt.Errorf("wav: repair: %w", err)
	}
	defer f.Close()
	info, err := ReadInfo(f)
	if err != nil {
		return info, fmt.Errorf("wav: repair %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return info, fmt.Errorf("wav: repair: %w", err)
	}
	data := st.Size() - info.DataOffset
	data -= data % int64(info.BlockAlign())
	if data > MaxDataBytes {
		data = MaxDataBytes - MaxDataBytes%int64(info.BlockAlign())
	}
	if data == info.DataBytes && st.Size() == info.DataOffset+data {
		return info, nil
	}
	if info.DataOffset != int64(info.HeaderSize()) || info.Extensible != info.Format.Extensible() {
		return info, fmt.Errorf("wav: repair %s: header layout was not written by this package", path)
	}
	if err := f.Truncate(info.DataOffset + data); err != nil {
		return info, fmt.Errorf("wav: repair: truncate: %w", err)
	}
	info.DataBytes = data
	if _, err := f.WriteAt(info.Format.Header(uint32(data)), 0); err != nil {
		return info, fmt.Errorf("wav: repair: patch header: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return info, err
	}
	info, err = ReadInfo(f)
	if err != nil {
		return info, err
	}
	return info, f.Sync()
}
