package callautomation

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/callrec/callrec/hmacauth"
)

// HTTPRange is a byte range of a download: Length bytes from Offset, or
// everything from Offset when Length is 0.
type HTTPRange struct {
	Offset int64
	Length int64
}

// header is the Range header value: "bytes=<first>-<last>" (last inclusive)
// or "bytes=<first>-".
func (r HTTPRange) header() (string, error) {
	if r.Offset < 0 || r.Length < 0 {
		return "", fmt.Errorf("callautomation: invalid range offset %d length %d", r.Offset, r.Length)
	}
	if r.Length == 0 {
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-", nil
	}
	return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10), nil
}

// ContentStream is the body of a download with what the response said
// about it. Read it, then Close it.
type ContentStream struct {
	// StatusCode is 200, or 206 for a partial answer.
	StatusCode int
	// ContentType is the media type of the document.
	ContentType string
	// ContentLength is how many bytes the stream yields, -1 if unknown.
	ContentLength int64
	// Size is the full size of the document, -1 if unknown.
	Size int64
	// ETag identifies this version of the document, if the server said.
	ETag string
	body io.ReadCloser
}

// Read reads the content.
func (s *ContentStream) Read(p []byte) (int, error) { return s.body.Read(p) }

// Close releases the connection.
func (s *ContentStream) Close() error { return s.body.Close() }

// newContentRequest prepares a request to a content URL (contentLocation,
// metadataLocation or deleteLocation). It is signed as the official SDKs
// sign it: for the endpoint's host, carried in x-ms-host, and the URL's
// path without its query; it is sent to the URL itself.
func (c *Client) newContentRequest(method, contentURL string, ok ...int) (*request, error) {
	if contentURL == "" {
		return nil, fmt.Errorf("callautomation: the content URL is empty")
	}
	u, err := c.endpoint.Parse(contentURL)
	if err != nil {
		return nil, fmt.Errorf("callautomation: content URL %q: %w", contentURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("callautomation: content URL %q is not http(s)", contentURL)
	}
	if !c.contentHosts[strings.ToLower(u.Host)] {
		return nil, fmt.Errorf("callautomation: content URL host %q is neither the endpoint's host %q nor in ClientOptions.ContentHosts; "+
			"refusing to send it a signed request", u.Host, c.endpoint.Host)
	}
	u.Fragment, u.RawFragment = "", ""
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	r := &request{method: method, url: u, signHost: c.endpoint.Host, signPath: path, header: http.Header{}, ok: ok}
	r.header.Set(hmacauth.HeaderHost, c.endpoint.Host)
	return r, nil
}

// OpenContent starts downloading a recording's file (a chunk's
// ContentLocation or MetadataLocation) and returns the stream with its
// length. rng, if not nil, asks for part of the file; if the server ignores
// the range and sends the whole file, the stream still yields only the
// bytes asked for.
func (r *CallRecording) OpenContent(ctx context.Context, contentURL string, rng *HTTPRange) (*ContentStream, error) {
	return r.openContent(ctx, contentURL, rng, "")
}

// openContent is OpenContent with an optional If-Range validator: given
// one, a server whose document changed answers 200 with the whole new
// document, which is then an error rather than narrowed.
func (r *CallRecording) openContent(ctx context.Context, contentURL string, rng *HTTPRange, ifRange string) (*ContentStream, error) {
	req, err := r.c.newContentRequest(http.MethodGet, contentURL, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, err
	}
	if rng != nil {
		h, err := rng.header()
		if err != nil {
			return nil, err
		}
		req.header.Set("Range", h)
		if ifRange != "" {
			req.header.Set("If-Range", ifRange)
		}
	}
	resp, err := r.c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	s := &ContentStream{
		StatusCode:    resp.StatusCode,
		ContentType:   resp.Header.Get("Content-Type"),
		ContentLength: resp.ContentLength,
		Size:          -1,
		ETag:          resp.Header.Get("ETag"),
		body:          resp.Body,
	}
	if resp.StatusCode == http.StatusPartialContent {
		first, last, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err == nil && rng == nil {
			err = fmt.Errorf("callautomation: asked for the whole file, the server sent bytes %d-%d", first, last)
		} else if err == nil && first != rng.Offset {
			err = fmt.Errorf("callautomation: asked for bytes from %d, the server sent bytes %d-%d", rng.Offset, first, last)
		}
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		s.ContentLength, s.Size = last-first+1, total
		return s, nil
	}
	s.Size = resp.ContentLength
	if rng != nil && ifRange != "" {
		resp.Body.Close()
		return nil, fmt.Errorf("callautomation: %s changed while it was being downloaded", contentURL)
	}
	if rng != nil && (rng.Offset > 0 || rng.Length > 0) {
		if err := s.narrow(*rng); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return s, nil
}

// narrow makes a whole-file stream yield only rng.
func (s *ContentStream) narrow(rng HTTPRange) error {
	if _, err := io.CopyN(io.Discard, s.body, rng.Offset); err != nil {
		return fmt.Errorf("callautomation: range offset %d is beyond the end of the file: %w", rng.Offset, err)
	}
	remaining := int64(-1)
	if s.Size >= 0 {
		remaining = s.Size - rng.Offset
	}
	if rng.Length > 0 && (remaining < 0 || rng.Length < remaining) {
		remaining = rng.Length
		s.body = limitedReadCloser{io.LimitReader(s.body, rng.Length), s.body}
	}
	s.ContentLength = remaining
	return nil
}

type limitedReadCloser struct {
	io.Reader
	io.Closer
}

// DownloadStreaming downloads a recording's file, or the part rng names, as
// a stream; the caller closes it. The stream is a *ContentStream.
func (r *CallRecording) DownloadStreaming(ctx context.Context, contentURL string, rng *HTTPRange) (io.ReadCloser, error) {
	s, err := r.OpenContent(ctx, contentURL, rng)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DownloadTo downloads a whole recording file into w and returns how many
// bytes it wrote. If the connection breaks mid-file, it resumes with a
// range request from where it stopped (If-Range on the ETag, so a changed
// file is an error, not a splice), up to RetryOptions.MaxRetries times; w
// receives each byte once.
func (r *CallRecording) DownloadTo(ctx context.Context, contentURL string, w io.Writer) (int64, error) {
	n, _, err := r.downloadTo(ctx, contentURL, w)
	return n, err
}

// downloadTo is DownloadTo that also returns the document's Content-Type.
func (r *CallRecording) downloadTo(ctx context.Context, contentURL string, w io.Writer) (written int64, contentType string, err error) {
	size := int64(-1)
	etag := ""
	for attempt := 0; ; attempt++ {
		var rng *HTTPRange
		if written > 0 {
			rng = &HTTPRange{Offset: written}
		}
		s, err := r.openContent(ctx, contentURL, rng, etag)
		if err != nil {
			return written, contentType, err
		}
		if written == 0 {
			etag, contentType = s.ETag, s.ContentType
		}
		if size >= 0 && s.Size >= 0 && s.Size != size {
			s.Close()
			return written, contentType, fmt.Errorf("callautomation: the file changed size from %d to %d while resuming its download", size, s.Size)
		}
		size = s.Size
		dst := &trackingWriter{w: w}
		n, err := io.Copy(dst, s)
		s.Close()
		written += n
		if err == nil {
			return written, contentType, nil
		}
		if dst.err != nil || ctx.Err() != nil || attempt >= r.c.retry.MaxRetries {
			return written, contentType, fmt.Errorf("callautomation: downloading %s: %w", contentURL, err)
		}
		r.c.log.DebugContext(ctx, "callautomation: resuming broken download",
			"url", contentURL, "written", written, "attempt", attempt+1, "err", err)
		if err := r.c.sleep(ctx, r.c.backoff(attempt, nil)); err != nil {
			return written, contentType, err
		}
	}
}

// trackingWriter remembers a write error, to tell it from a read error.
type trackingWriter struct {
	w   io.Writer
	err error
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// Delete deletes a recording's files through a chunk's DeleteLocation. The
// server answers exactly 200, as ACS does.
func (r *CallRecording) Delete(ctx context.Context, deleteURL string) error {
	req, err := r.c.newContentRequest(http.MethodDelete, deleteURL, http.StatusOK)
	if err != nil {
		return err
	}
	return r.c.doNoContent(ctx, req)
}

// parseContentRange parses "bytes first-last/total" (total may be "*",
// returned as -1).
func parseContentRange(v string) (first, last, total int64, err error) {
	bad := func() (int64, int64, int64, error) {
		return 0, 0, 0, fmt.Errorf("callautomation: malformed Content-Range %q", v)
	}
	spec, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return bad()
	}
	span, totalText, ok := strings.Cut(spec, "/")
	if !ok {
		return bad()
	}
	firstText, lastText, ok := strings.Cut(span, "-")
	if !ok {
		return bad()
	}
	if first, err = strconv.ParseInt(firstText, 10, 64); err != nil || first < 0 {
		return bad()
	}
	if last, err = strconv.ParseInt(lastText, 10, 64); err != nil || last < first {
		return bad()
	}
	total = -1
	if totalText != "*" {
		if total, err = strconv.ParseInt(totalText, 10, 64); err != nil || total <= last {
			return bad()
		}
	}
	return first, last, total, nil
}
