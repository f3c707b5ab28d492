package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/hmacauth"
)

// internalPrefix is where a node serves the other nodes (Handler).
const internalPrefix = "/internal/cluster/"

// wireError is an internal answer's error: the coded error as it was
// (with the request field at fault, which the API's answer names too).
type wireError struct {
	Error struct {
		Kind    callrec.ErrorKind `json:"kind"`
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Target  string            `json:"target,omitempty"`
	} `json:"error"`
}

// call sends an internal request to node n (path escaped, under
// internalPrefix); out (if not nil) receives its JSON answer.
func (m *Member) call(ctx context.Context, n callrec.Node, method, path string, in, out any) error {
	resp, err := m.do(ctx, n, method, path, in, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return callrec.Unavailable(err, "node "+n.ID+" answered an unreadable internal response")
	}
	return nil
}

// do sends an internal request to node n, signed with the shared key, and
// returns the open answer of a 2xx. A node that cannot be reached is a
// KindUnavailable error; a coded error answered by n is returned as it
// was.
func (m *Member) do(ctx context.Context, n callrec.Node, method, path string, in any, header http.Header) (*http.Response, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, callrec.Internal(err, "encoding an internal request")
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(n.URL, "/")+internalPrefix+path, bytes.NewReader(body))
	if err != nil {
		return nil, callrec.Internal(err, "node "+n.ID+" has a bad URL")
	}
	u := req.URL
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	pq := u.EscapedPath()
	if u.RawQuery != "" {
		pq += "?" + u.RawQuery
	}
	hmacauth.Sign(req, m.cfg.Key, u.Host, pq, body, time.Now())
	resp, err := m.cfg.Client.Do(req)
	if err != nil {
		return nil, callrec.Unavailable(err, fmt.Sprintf("node %s, which hosts the call, cannot be reached; retry later", n.ID))
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var we wireError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &we) != nil || we.Error.Code == "" {
			return nil, callrec.Errorf(callrec.KindUnavailable, CodeNodeUnavailable,
				"node %s, which hosts the call, answered %s; retry later", n.ID, resp.Status)
		}
		kind := we.Error.Kind
		if kind == "" {
			kind = callrec.KindInternal
		}
		return nil, &callrec.Error{Kind: kind, Code: we.Error.Code, Message: we.Error.Message, Target: we.Error.Target}
	}
	return resp, nil
}
