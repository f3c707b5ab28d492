package siprec

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// Content types of a SIPREC body's parts.
const (
	typeSDP       = "application/sdp"
	typeMetadata  = "application/rs-metadata+xml"
	typeMultipart = "multipart/mixed"
	maxParts      = 16
	maxPartBytes  = 256 << 10
)

// Body is a SIPREC request's body taken apart: the SDP offer and the
// recording metadata, either of which may be missing (a re-INVITE may
// carry only one of them).
type Body struct {
	SDP      []byte
	Metadata []byte
}

// ParseBody splits a request's body by its Content-Type: multipart/mixed
// (RFC 7866 §9.1: an SDP part and an application/rs-metadata+xml part),
// or a single SDP or metadata body. Other types answer 415, a multipart
// body that does not parse 400.
func ParseBody(contentType string, body []byte) (Body, error) {
	if len(body) == 0 {
		return Body{}, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Body{}, badRequest("Content-Type %q does not parse: %v", contentType, err)
	}
	switch mt {
	case typeSDP:
		return Body{SDP: body}, nil
	case typeMetadata:
		return Body{Metadata: body}, nil
	case typeMultipart:
	default:
		return Body{}, unsupportedMedia("body of type %s; a SIPREC request carries multipart/mixed (SDP and %s)", mt, typeMetadata)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return Body{}, badRequest("multipart/mixed without a boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var b Body
	for n := 0; ; n++ {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return Body{}, badRequest("multipart body without a part delimited by %q", boundary)
			}
			break
		}
		if err != nil {
			if n == 0 {
				return Body{}, badRequest("multipart body does not parse: %v", err)
			}
			break // trailing garbage after the parts callrec read
		}
		if n >= maxParts {
			return Body{}, badRequest("multipart body with more than %d parts", maxParts)
		}
		data, err := io.ReadAll(io.LimitReader(p, maxPartBytes+1))
		if err != nil {
			return Body{}, badRequest("multipart body does not parse: %v", err)
		}
		if len(data) > maxPartBytes {
			return Body{}, badRequest("a body part is larger than %d bytes", maxPartBytes)
		}
		pt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			continue // a part callrec cannot name is not one it needs
		}
		switch {
		case pt == typeSDP && b.SDP == nil:
			b.SDP = data
		case pt == typeMetadata && b.Metadata == nil:
			disp := strings.ToLower(p.Header.Get("Content-Disposition"))
			if disp != "" && !strings.HasPrefix(disp, "recording-session") {
				continue
			}
			b.Metadata = data
		}
	}
	return b, nil
}
