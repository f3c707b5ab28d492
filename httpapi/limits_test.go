package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/httpapi"
	"github.com/callrec/callrec/internal/testserver"
)

// edge is an httpapi server of its own on loopback, with short limits, for
// what happens before a request reaches a route: signature checks, body
// deadlines, verification slots, connection timeouts. Requests here never
// get past verification, except those to the media mount.
type edge struct {
	addr  string
	key   []byte
	read  atomic.Int64 // bytes the server read from its connections
	conns atomic.Int64 // connections open now
}

func startEdge(t *testing.T, cfg httpapi.Config) *edge {
	t.Helper()
	e := &edge{key: []byte("edge-test-key")}
	cfg.Verifier = &hmacauth.Verifier{Key: e.key}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	api := httpapi.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	srv := api.HTTPServer(context.WithoutCancel(t.Context()), nil)
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			e.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			e.conns.Add(-1)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(&countingListener{Listener: ln, n: &e.read})
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return e
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// head returns the request line and headers of a request to target with
// a body of contentLength bytes, signed over body if key is not nil.
func head(method, target, host string, key, body []byte, contentLength int, extra ...string) string {
	req, _ := http.NewRequest(method, "http://"+host+target, nil)
	if key != nil {
		hmacauth.Sign(req, key, host, target, body, time.Now())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, target, host, contentLength)
	for k, vs := range req.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, vs[0])
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// dial opens a connection with a generous deadline for the whole exchange.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// readResponse reads one response and its body.
func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, b
}

// expectClosed checks that the server closes the connection.
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if n, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Errorf("connection not closed by the server: %v after %d bytes", err, n)
	}
}

// TestUnsignedBodyIsNeverRead: a request that is not signed is answered 401
// as soon as its headers are in, with or without Expect: 100-continue, and
// its connection closed; the body is not read (nor waited for).
func TestUnsignedBodyIsNeverRead(t *testing.T) {
	s := testserver.Start(t)
	addr := strings.TrimPrefix(s.URL, "http://")
	for _, expect := range []string{"Expect: 100-continue", "X-No-Expect: 1"} {
		c, br := dial(t, addr)
		// Headers of a 1 MiB body, and none of the body.
		if _, err := io.WriteString(c, head("POST", "/calls", addr, nil, nil, 1<<20, expect)); err != nil {
			t.Fatal(err)
		}
		resp, body := readResponse(t, br)
		if resp.StatusCode != 401 || !strings.Contains(string(body), `"MissingAuthentication"`) {
			t.Errorf("%s: %d %s, want 401 MissingAuthentication (and no 100 Continue)", expect, resp.StatusCode, body)
		}
		if !resp.Close {
			t.Errorf("%s: the server keeps the connection: %v", expect, resp.Header)
		}
		expectClosed(t, br)
	}

	// Signed with a wrong key: refused the same way, before the body.
	c, br := dial(t, addr)
	io.WriteString(c, head("POST", "/calls", addr, []byte("wrong key"), []byte(`{}`), 2, "Expect: 100-continue"))
	if resp, body := readResponse(t, br); resp.StatusCode != 401 || !strings.Contains(string(body), `"InvalidSignature"`) {
		t.Errorf("wrong key: %d %s", resp.StatusCode, body)
	}

	// Signed: told to continue, then served.
	key := newClient(t, s).key
	c, br = dial(t, addr)
	body := []byte(`{"serverCallId":"expect-continue"}`)
	io.WriteString(c, head("POST", "/calls", addr, key, body, len(body), "Expect: 100-continue"))
	if resp, _ := readResponse(t, br); resp.StatusCode != 100 {
		t.Fatalf("signed with Expect: %d, want 100 Continue", resp.StatusCode)
	}
	c.Write(body)
	if resp, b := readResponse(t, br); resp.StatusCode != 201 {
		t.Errorf("signed with Expect: %d %s, want 201", resp.StatusCode, b)
	}

	// Declared too large: 413 before reading.
	c, br = dial(t, addr)
	io.WriteString(c, head("POST", "/calls", addr, key, bytes.Repeat([]byte(" "), 2<<20), 2<<20))
	if resp, b := readResponse(t, br); resp.StatusCode != 413 || !strings.Contains(string(b), "RequestBodyTooLarge") || !resp.Close {
		t.Errorf("declared 2 MiB: %d %s", resp.StatusCode, b)
	}
}

// TestUnsignedFloodHoldsNothing: 400 unsigned 1 MiB POSTs at once are all
// refused without the server reading their bodies, and none of their
// connections stays open.
func TestUnsignedFloodHoldsNothing(t *testing.T) {
	e := startEdge(t, httpapi.Config{})
	const n = 400
	payload := bytes.Repeat([]byte("x"), 1<<20)
	tr := &http.Transport{MaxConnsPerHost: 0, DisableKeepAlives: false}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var wg sync.WaitGroup
	var refused, other atomic.Int64
	for range n {
		wg.Go(func() {
			resp, err := client.Post("http://"+e.addr+"/calling/recordings", "application/json", bytes.NewReader(payload))
			if err != nil {
				// The server may close before the client is done writing;
				// what matters is what the server read and kept.
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 401 {
				refused.Add(1)
			} else {
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if other.Load() > 0 || refused.Load() == 0 {
		t.Errorf("%d refused with 401, %d answered otherwise", refused.Load(), other.Load())
	}
	// Headers are under 1 KiB; a connection's first read takes at most a
	// bufio buffer (4 KiB) of body with them. Reading the bodies would be
	// 400 MiB.
	if read := e.read.Load(); read > n*16<<10 {
		t.Errorf("the server read %d bytes for %d unsigned requests (%.1f KiB each)", read, n, float64(read)/n/1024)
	} else {
		t.Logf("the server read %d bytes for %d unsigned 1 MiB requests (%.1f KiB each)", read, n, float64(read)/n/1024)
	}
	deadline := time.Now().Add(15 * time.Second)
	for e.conns.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if open := e.conns.Load(); open > 0 {
		t.Errorf("%d connections still open on the server", open)
	}
}

// TestBodyDeadlineAndVerificationSlots: a signed request whose body stalls
// holds its verification slot until the body deadline (408, closed); while
// every slot is taken, others wait BusyWait, then get 503 ServerBusy with
// Retry-After.
func TestBodyDeadlineAndVerificationSlots(t *testing.T) {
	e := startEdge(t, httpapi.Config{
		MaxVerifying: 1,
		Timeouts:     httpapi.Timeouts{Body: 2 * time.Second, BusyWait: 100 * time.Millisecond},
	})
	body := []byte(`{"serverCallId":"slow"}`)
	c, br := dial(t, e.addr)
	start := time.Now()
	io.WriteString(c, head("POST", "/calls", e.addr, e.key, body, len(body)))
	c.Write(body[:5]) // and no more

	// Unsigned requests take a slot too, so they see the server busy while
	// the slow one holds it.
	var busy *http.Response
	for deadline := time.Now().Add(10 * time.Second); busy == nil && time.Now().Before(deadline); {
		resp, err := http.Get("http://" + e.addr + "/calls")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == 503:
			if !strings.Contains(string(b), `"ServerBusy"`) || resp.Header.Get("Retry-After") != "1" {
				t.Errorf("busy: %s %v", b, resp.Header)
			}
			busy = resp
		case resp.StatusCode != 401:
			t.Fatalf("unsigned: %d %s", resp.StatusCode, b)
		}
	}
	if busy == nil {
		t.Fatal("the server never said it was busy while its one slot was held")
	}
	resp, b := readResponse(t, br)
	if resp.StatusCode != 408 || !strings.Contains(string(b), `"RequestTimeout"`) || !resp.Close {
		t.Errorf("stalled body: %d %s %v", resp.StatusCode, b, resp.Header)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("stalled body answered after %s, before its 2s deadline", waited)
	}
	expectClosed(t, br)
	// The slot is free again.
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get("http://" + e.addr + "/calls")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d after the slow request ended", resp.StatusCode)
		}
	}
}

// TestConnectionTimeouts: headers that never end and idle kept-alive
// connections are closed; a handler that has read its body keeps a live
// context and connection long past the body deadline (downloads and event
// streams are not cut).
func TestConnectionTimeouts(t *testing.T) {
	handlerDone := make(chan error, 1)
	media := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			handlerDone <- err
			return
		}
		w.WriteHeader(200)
		for range 6 { // 1.2 s, three body deadlines
			select {
			case <-r.Context().Done():
				handlerDone <- fmt.Errorf("context ended while streaming: %w", r.Context().Err())
				return
			case <-time.After(200 * time.Millisecond):
			}
			w.Write(b)
			http.NewResponseController(w).Flush()
		}
		handlerDone <- nil
	})
	e := startEdge(t, httpapi.Config{
		Media:    media,
		Timeouts: httpapi.Timeouts{ReadHeader: 300 * time.Millisecond, Body: 400 * time.Millisecond, Idle: 300 * time.Millisecond},
	})

	c, br := dial(t, e.addr)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // never ends
	expectClosed(t, br)

	c, br = dial(t, e.addr)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := readResponse(t, br); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz: %d close=%v", resp.StatusCode, resp.Close)
	}
	expectClosed(t, br) // idle past 300 ms

	c, br = dial(t, e.addr)
	io.WriteString(c, "POST /calls/x/whip HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != strings.Repeat("abc", 6) {
		t.Errorf("streamed %q, %v", got, err)
	}
	if err := <-handlerDone; err != nil {
		t.Error(err)
	}
}
