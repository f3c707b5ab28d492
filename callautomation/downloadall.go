package callautomation

import (
	"context"
	"fmt"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DownloadedFile is one file that DownloadAll wrote.
type DownloadedFile struct {
	// Path is where the file is, inside the directory given.
	Path       string
	DocumentID string
	ChunkIndex int
	// Metadata is true for the chunk's metadata document (JSON), false
	// for its media (WAV, MP3 or MP4).
	Metadata bool
	Bytes    int64
}

// DownloadAllResult is what DownloadAll fetched.
type DownloadAllResult struct {
	// Files lists the files written, media then metadata of each chunk,
	// in chunk order.
	Files []DownloadedFile
	// Deleted lists the chunks whose files had been deleted on the server;
	// they were skipped.
	Deleted []RecordingChunk
}

// DownloadAll downloads every chunk of a stopped recording, media and
// metadata, into dir (created if missing), so that nobody copies content
// URLs by hand. Files are named after the chunk:
//
//	chunk-<index>-<documentId>.wav             (.mp3, .mp4 by content type)
//	chunk-<index>-<documentId>.metadata.json
//
// Each file is written to a temporary name first and renamed once
// complete, with mode 0600, as recordings are private. A recording that is
// still running has no files yet: that is an error.
func (r *CallRecording) DownloadAll(ctx context.Context, recordingID, dir string) (*DownloadAllResult, error) {
	res, err := r.Result(ctx, recordingID)
	if err != nil {
		return nil, err
	}
	chunks := res.RecordingStorageInfo.RecordingChunks
	if len(chunks) == 0 {
		if res.SessionEndReason == "" || res.SessionEndReason == "sessionStillOngoing" {
			return nil, fmt.Errorf("callautomation: recording %s has no files yet: it is still recording; stop it first", recordingID)
		}
		return nil, fmt.Errorf("callautomation: recording %s has no files (it ended: %s)", recordingID, res.SessionEndReason)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("callautomation: %w", err)
	}
	out := &DownloadAllResult{}
	for _, c := range chunks {
		if c.Deleted {
			out.Deleted = append(out.Deleted, c)
			continue
		}
		base := fmt.Sprintf("chunk-%d-%s", c.Index, safeName(c.DocumentID))
		for _, meta := range []bool{false, true} {
			loc := c.ContentLocation
			if meta {
				loc = c.MetadataLocation
			}
			f, err := r.downloadFile(ctx, loc, dir, base, meta)
			if err != nil {
				return out, err
			}
			f.DocumentID, f.ChunkIndex = c.DocumentID, c.Index
			out.Files = append(out.Files, f)
		}
	}
	return out, nil
}

// downloadFile downloads one document into dir/base.<ext>, through a
// temporary file beside it.
func (r *CallRecording) downloadFile(ctx context.Context, contentURL, dir, base string, meta bool) (DownloadedFile, error) {
	tmp, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return DownloadedFile{}, fmt.Errorf("callautomation: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, contentType, err := r.downloadTo(ctx, contentURL, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("callautomation: %w", cerr)
	}
	if err != nil {
		return DownloadedFile{}, err
	}
	name := base + ".metadata.json"
	if !meta {
		name = base + mediaExtension(contentType, contentURL)
	}
	dst := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return DownloadedFile{}, fmt.Errorf("callautomation: %w", err)
	}
	return DownloadedFile{Path: dst, Metadata: meta, Bytes: n}, nil
}

// mediaExtension picks a file extension from the Content-Type, else from
// the content URL's last segment (audio or video).
func mediaExtension(contentType, contentURL string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave":
		return ".wav"
	case "audio/mpeg", "audio/mp3":
		return ".mp3"
	case "video/mp4", "audio/mp4":
		return ".mp4"
	}
	if path.Base(contentURL) == "video" {
		return ".mp4"
	}
	return ".bin"
}

// safeName keeps letters, digits, '-', '_' and '.' of s; document ids are
// made of those, but a file name must not take a path from the server.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
