package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/callrec/callrec"
)

// Content is the content store of a node that shares its database: a
// document this node's own store does not hold (or cannot read, shared
// storage failing) is read from, or deleted on, the node that holds it
// (each fresh node asked in turn), so that a client may download through
// any node. With storage every node shares, the own store holds every
// document and nobody else is asked, except for a chunk whose upload has
// not succeeded yet: the node that recorded it serves it from its spool.
type Content struct {
	local callrec.ContentStore
	m     *Member
}

var _ callrec.ContentStore = (*Content)(nil)

// NewContent returns the content store over this node's own.
func NewContent(local callrec.ContentStore, m *Member) *Content { return &Content{local: local, m: m} }

// OpenContent opens a part of a document here or on the node holding it.
func (c *Content) OpenContent(ctx context.Context, documentID, part string) (*callrec.Content, error) {
	got, err := c.local.OpenContent(ctx, documentID, part)
	if k := callrec.KindOf(err); err == nil || k != callrec.KindNotFound && k != callrec.KindUnavailable {
		return got, err
	}
	for _, n := range c.peers() {
		rc, perr := c.openRemote(ctx, n, documentID, part)
		if perr == nil {
			return rc, nil
		}
		if callrec.KindOf(perr) != callrec.KindNotFound {
			c.m.log.Warn("reading a document on another node", "node", n.ID, "documentId", documentID, "err", perr)
		}
	}
	return nil, err
}

// DeleteDocument deletes a document here or on the node holding it.
func (c *Content) DeleteDocument(ctx context.Context, documentID string) error {
	err := c.local.DeleteDocument(ctx, documentID)
	if callrec.KindOf(err) != callrec.KindNotFound {
		return err
	}
	for _, n := range c.peers() {
		perr := c.m.call(ctx, n, http.MethodDelete, "objects/"+url.PathEscape(documentID), nil, nil)
		if perr == nil {
			return nil
		}
		if callrec.KindOf(perr) != callrec.KindNotFound {
			c.m.log.Warn("deleting a document on another node", "node", n.ID, "documentId", documentID, "err", perr)
		}
	}
	return err
}

// peers are the other nodes with a fresh heartbeat.
func (c *Content) peers() []callrec.Node {
	var out []callrec.Node
	for _, n := range c.m.Nodes() {
		if n.ID != c.m.ID() && c.m.fresh(n) {
			out = append(out, n)
		}
	}
	return out
}

// openRemote opens a document part on node n: the first answer gives its
// size and headers and streams it from the start; a Seek elsewhere opens
// a ranged request from there.
func (c *Content) openRemote(ctx context.Context, n callrec.Node, documentID, part string) (*callrec.Content, error) {
	path := "objects/" + url.PathEscape(documentID) + "/" + url.PathEscape(part)
	resp, err := c.m.do(ctx, n, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	size, err := strconv.ParseInt(resp.Header.Get("X-Callrec-Size"), 10, 64)
	if err != nil {
		resp.Body.Close()
		return nil, callrec.Unavailable(err, "node "+n.ID+" answered a document without its size")
	}
	mod, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	r := &remoteReader{ctx: ctx, m: c.m, n: n, path: path, size: size, body: resp.Body}
	return &callrec.Content{ReadSeekCloser: r, Size: size, ModTime: mod, ETag: resp.Header.Get("ETag"),
		ContentType: resp.Header.Get("Content-Type")}, nil
}

// remoteReader reads a document on another node from off.
type remoteReader struct {
	ctx  context.Context
	m    *Member
	n    callrec.Node
	path string
	size int64
	off  int64
	body io.ReadCloser // reading from off; nil after a seek
}

func (r *remoteReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.body == nil {
		h := http.Header{"Range": {fmt.Sprintf("bytes=%d-", r.off)}}
		resp, err := r.m.do(r.ctx, r.n, http.MethodGet, r.path, nil, h)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusPartialContent {
			resp.Body.Close()
			return 0, fmt.Errorf("node %s answered a range request with %s", r.n.ID, resp.Status)
		}
		r.body = resp.Body
	}
	k, err := r.body.Read(p)
	r.off += int64(k)
	if errors.Is(err, io.EOF) && r.off < r.size {
		err = io.ErrUnexpectedEOF
	}
	return k, err
}

func (r *remoteReader) Seek(offset int64, whence int) (int64, error) {
	var to int64
	switch whence {
	case io.SeekStart:
		to = offset
	case io.SeekCurrent:
		to = r.off + offset
	case io.SeekEnd:
		to = r.size + offset
	}
	if to < 0 {
		return r.off, errors.New("seek before the start")
	}
	if to != r.off && r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.off = to
	return to, nil
}

func (r *remoteReader) Close() error {
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
