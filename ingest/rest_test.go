package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/simulate"
)

// restToken mints a join token through the HMAC-signed REST route
// POST /calls/{id}/tokens, as an application server would.
func (h *harness) restToken(t *testing.T, callID, rawID string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"participant": rawID, "ttlSeconds": 600})
	path := "/calls/" + url.PathEscape(callID) + "/tokens"
	req, err := http.NewRequest(http.MethodPost, h.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	hmacauth.Sign(req, h.key, req.URL.Host, req.URL.EscapedPath(), body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token, ExpiresOn, JoinURL string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.Token == "" {
		t.Fatalf("POST %s: %s, %+v, %v", path, resp.Status, out, err)
	}
	return out.Token
}

// TestRESTTokenJoinsAndCallListsParticipant: a token from the REST route
// joins over WHIP, and GET /calls/{id} (through the Go SDK) lists the
// participant with joinedAt and, after the leave, leftAt.
func TestRESTTokenJoinsAndCallListsParticipant(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	const dave = "8:acs:callrec_dave"
	o := h.options(callID, dave, "tone:1000", time.Second)
	o.Token = h.restToken(t, callID, dave)
	if _, err := simulate.Join(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	client, err := callautomation.NewCallAutomationClient(h.node.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "leftAt", func() bool {
		c, err := client.Calls().Get(context.Background(), callID)
		if err != nil {
			t.Fatal(err)
		}
		return len(c.Participants) == 1 && c.Participants[0].RawID == dave &&
			!c.Participants[0].JoinedAt.IsZero() && c.Participants[0].LeftAt != nil
	})
}
