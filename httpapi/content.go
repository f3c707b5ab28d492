package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/callrec/callrec"
)

// routeContent serves recorded documents, as ACS's storage service does:
// GET /v1/objects/{documentId}/content/{audio|video|acsmetadata} and
// DELETE /v1/objects/{documentId}. Errors carry top-level status and message.
func (s *Server) routeContent(w http.ResponseWriter, r *http.Request, segs []string) error {
	if s.cfg.Content == nil {
		return callrec.Errorf(callrec.KindNotFound, callrec.CodeContentNotFound, "this server stores no recorded content")
	}
	doc, err := unescapeID(segs[0])
	if err != nil {
		return err
	}
	switch {
	case len(segs) == 3 && segs[1] == "content":
		part := segs[2]
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return s.download(w, r, doc, part)
		case http.MethodDelete:
			return s.deleteDocument(w, r, doc)
		}
		return methodNotAllowed(w, r, http.MethodGet, http.MethodHead, http.MethodDelete)
	case len(segs) == 1:
		if r.Method != http.MethodDelete {
			return methodNotAllowed(w, r, http.MethodDelete)
		}
		return s.deleteDocument(w, r, doc)
	}
	return routeNotFound(r)
}

// codeInvalidRange is the code of a 416.
const codeInvalidRange = "InvalidRange"

func (s *Server) download(w http.ResponseWriter, r *http.Request, doc, part string) error {
	c, err := s.cfg.Content.OpenContent(r.Context(), doc, part)
	if err != nil {
		return err
	}
	defer c.Close()
	// One byte range is served with 206; what is not a single byte range is
	// ignored (200, the whole body); an unsatisfiable range is a JSON 416,
	// which the SDKs parse, where http.ServeContent would answer plain text.
	if v := r.Header.Get("Range"); v != "" {
		br, res := parseRange(v, c.Size)
		if !ifRangeHolds(r, c.ETag, c.ModTime) {
			res = rangeIgnored
		}
		switch res {
		case rangeIgnored:
			r.Header.Del("Range")
		case rangeUnsatisfiable:
			w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(c.Size, 10))
			return callrec.Errorf(callrec.KindRangeNotSatisfiable, codeInvalidRange,
				"range %q is not within the %d bytes of the content", v, c.Size)
		case rangeSatisfiable:
			// ServeContent serves it (and HEAD, If-None-Match, …) as
			// given in its plain form.
			r.Header.Set("Range", "bytes="+strconv.FormatInt(br.first, 10)+"-"+strconv.FormatInt(br.last, 10))
		}
	}
	if c.ETag != "" {
		w.Header().Set("ETag", c.ETag)
	}
	w.Header().Set("Content-Type", c.ContentType)
	w.Header().Set("Cache-Control", "no-cache, max-age=0, s-maxage=0, private")
	http.ServeContent(w, r, "", c.ModTime, c)
	return nil
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request, doc string) error {
	if err := s.cfg.Content.DeleteDocument(r.Context(), doc); err != nil {
		return err
	}
	// Exactly 200: every official SDK treats anything else as failure.
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// documentDeleted reports whether a finalized document's files are gone:
// deleted through its deleteLocation or by retention. A document that
// cannot be read for another reason is not reported deleted.
func (s *Server) documentDeleted(ctx context.Context, doc string) bool {
	if s.cfg.Content == nil {
		return false
	}
	c, err := s.cfg.Content.OpenContent(ctx, doc, callrec.PartMetadata)
	if err != nil {
		return callrec.CodeOf(err) == callrec.CodeContentNotFound
	}
	c.Close()
	return false
}
