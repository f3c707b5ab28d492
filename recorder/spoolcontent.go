package recorder

import (
	"os"
	"path/filepath"
	"time"

	"github.com/callrec/callrec"
)

// spoolContent opens a part of a document that is sealed in this engine's
// spool and not stored yet (its upload failing, or still to be tried after
// a restart): a stopped recording is downloadable from the node that
// recorded it as soon as it is stopped, whatever the store's state. It
// returns nil when the spool holds no such document.
func (e *Engine) spoolContent(documentID, part string) *callrec.Content {
	e.mu.Lock()
	dirs := make(map[string]*journalFile, len(e.journals))
	for dir, jf := range e.journals {
		dirs[dir] = jf
	}
	e.mu.Unlock()
	for dir, jf := range dirs {
		j := jf.snapshot()
		for _, pc := range j.Pending {
			if pc.DocumentID != documentID || pc.Sealed == nil {
				continue
			}
			cf, err := formatOf(j.Recording.Spec.Format)
			if err != nil {
				return nil
			}
			name, ctype, etag := metadataFile(pc), contentTypeJSON, ""
			switch part {
			case callrec.PartMetadata:
			case cf.part:
				name, ctype, etag = pc.File, cf.contentType, `"`+pc.Sealed.SHA256+`"`
			default:
				return nil
			}
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				return nil // stored and removed meanwhile
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return nil
			}
			return &callrec.Content{ReadSeekCloser: f, Size: st.Size(), ModTime: st.ModTime().UTC().Truncate(time.Second),
				ETag: etag, ContentType: ctype}
		}
	}
	return nil
}
