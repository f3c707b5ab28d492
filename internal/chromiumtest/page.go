package chromiumtest

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/callrec/callrec/audio"
)

// Page is a DevTools Protocol connection to one page.
type Page struct {
	ws     *websocket.Conn
	nextID int
}

// OpenPage connects to the first page, of the Chromium whose DevTools base
// URL Start returned, whose URL contains urlPart (waiting up to 10 s for
// it). The connection closes when the test ends.
func OpenPage(t testing.TB, devtools, urlPart string) *Page {
	t.Helper()
	var target string
	for deadline := time.Now().Add(10 * time.Second); target == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no page at %q within 10 s", urlPart)
		}
		target = pageTarget(devtools, urlPart)
	}
	ws, err := websocket.Dial(target, "", "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &Page{ws: ws}
}

// pageTarget returns the DevTools WebSocket URL of the first page whose
// URL contains urlPart, or "".
func pageTarget(devtools, urlPart string) string {
	resp, err := http.Get(devtools + "/json/list")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var targets []struct{ Type, URL, WebSocketDebuggerURL string }
	if json.NewDecoder(resp.Body).Decode(&targets) != nil {
		return ""
	}
	for _, tg := range targets {
		if tg.Type == "page" && strings.Contains(tg.URL, urlPart) {
			return tg.WebSocketDebuggerURL
		}
	}
	return ""
}

// Eval evaluates a JavaScript expression in the page and returns its value
// as a string (JSON for non-strings).
func (p *Page) Eval(t testing.TB, expr string) string {
	t.Helper()
	p.nextID++
	id := p.nextID
	req := map[string]any{"id": id, "method": "Runtime.evaluate",
		"params": map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}}
	if err := websocket.JSON.Send(p.ws, req); err != nil {
		t.Fatal(err)
	}
	_ = p.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var resp struct {
			ID     int `json:"id"`
			Result struct {
				Result struct {
					Value json.RawMessage `json:"value"`
				} `json:"result"`
				ExceptionDetails any `json:"exceptionDetails"`
			} `json:"result"`
		}
		if err := websocket.JSON.Receive(p.ws, &resp); err != nil {
			t.Fatalf("CDP: %v", err)
		}
		if resp.ID != id {
			continue // an event
		}
		if resp.Result.ExceptionDetails != nil {
			t.Fatalf("evaluating %q: %v", expr, resp.Result.ExceptionDetails)
		}
		var s string
		if json.Unmarshal(resp.Result.Result.Value, &s) == nil {
			return s
		}
		return string(resp.Result.Result.Value)
	}
}

// WriteToneWAV writes 10 s of a freq Hz sine at amp (0–1 of full scale) as
// a 48 kHz mono WAV file, for Chromium's fake microphone
// (--use-file-for-fake-audio-capture, which loops it).
func WriteToneWAV(t testing.TB, path string, freq, amp float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := audio.WriteWAV(f, audio.PCM{Rate: 48000, Channels: 1, Samples: audio.Sine(freq, amp, 48000, 10*48000)}); err != nil {
		t.Fatal(err)
	}
}
