package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// contentReport is what e2e/jssdk/content.mjs prints.
type contentReport struct {
	SDKVersion        string         `json:"sdkVersion"`
	AudioBytes        int            `json:"audioBytes"`
	AudioSHA256       string         `json:"audioSha256"`
	Metadata          map[string]any `json:"metadata"`
	RangeHex          string         `json:"rangeHex"`
	AfterDelete       *contentError  `json:"afterDelete"`
	AllowListRefusals []struct {
		Call    string `json:"call"`
		Message string `json:"message"`
	} `json:"allowListRefusals"`
}

// contentError is the body of an error on a content route: the JS SDK reads
// only top-level status and message there.
type contentError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// checkContentWithSDK downloads and deletes a stopped recording's first chunk
// with the official SDK and checks the bytes against a direct signed
// download and the sha256 in the chunk's metadata. SDK 1.5.1 can do this
// only over https (its content requests ignore allowInsecureConnection);
// 1.6.0 must refuse callrec's content URLs before sending anything.
func checkContentWithSDK(t *testing.T, run nodeRun, client *acsClient, version, transport, recordingID string) {
	t.Helper()
	chunk := client.WaitForChunks(t, recordingID, 30*time.Second)[0]
	if version == "1.5.1" && transport == "http" {
		t.Logf("SDK 1.5.1 cannot download over plain http (content requests ignore allowInsecureConnection); checked over https")
		return
	}
	direct := client.Content(t, http.MethodGet, chunk.ContentLocation)
	if direct.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", chunk.ContentLocation, direct.Status, direct.Body)
	}
	metaResp := client.Content(t, http.MethodGet, chunk.MetadataLocation)
	if metaResp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", chunk.MetadataLocation, metaResp.Status, metaResp.Body)
	}
	var meta struct {
		SHA256 string `json:"sha256"`
	}
	decodeJSON(t, metaResp.Body, &meta)
	sum := sha256.Sum256(direct.Body)
	if got := hex.EncodeToString(sum[:]); meta.SHA256 != got {
		t.Errorf("metadata sha256 %q, but the content's sha256 is %s", meta.SHA256, got)
	}

	run.script = "content.mjs"
	run.args = []string{version}
	run.env = append(run.env,
		"CONTENT_URL="+chunk.ContentLocation,
		"METADATA_URL="+chunk.MetadataLocation,
		"DELETE_URL="+chunk.DeleteLocation,
		"OUT_DIR="+t.TempDir(),
	)
	var report contentReport
	run.runJSON(t, &report)

	if version == "1.6.0" {
		if len(report.AllowListRefusals) != 3 {
			t.Fatalf("SDK 1.6.0: want 3 allow-list refusals (download to path, streaming, delete), got %+v", report.AllowListRefusals)
		}
		if still := client.Content(t, http.MethodGet, chunk.ContentLocation); still.Status != http.StatusOK {
			t.Errorf("after SDK 1.6.0 refused to delete, the content answers %d, want 200 (nothing should have been sent)", still.Status)
		}
		return
	}

	if report.AudioSHA256 != hex.EncodeToString(sum[:]) || report.AudioBytes != len(direct.Body) {
		t.Errorf("SDK %s downloaded %d bytes with sha256 %s; the server's content is %d bytes with sha256 %x",
			version, report.AudioBytes, report.AudioSHA256, len(direct.Body), sum)
	}
	if want := hex.EncodeToString(direct.Body[4:12]); report.RangeHex != want {
		t.Errorf("SDK %s range {offset:4,length:8} = %s, want %s", version, report.RangeHex, want)
	}
	if report.Metadata["sha256"] != meta.SHA256 {
		t.Errorf("SDK %s metadata sha256 %v, want %s", version, report.Metadata["sha256"], meta.SHA256)
	}
	if report.AfterDelete == nil || report.AfterDelete.Status != http.StatusNotFound {
		t.Errorf("SDK %s: download after delete gave %+v, want status 404 with a message", version, report.AfterDelete)
	}
	gone := client.Content(t, http.MethodGet, chunk.ContentLocation)
	var body contentError
	if gone.Status != http.StatusNotFound || json.Unmarshal(gone.Body, &body) != nil || body.Status != http.StatusNotFound || body.Message == "" {
		t.Errorf("after the SDK's delete, GET content = %d %s; want 404 with top-level status and message", gone.Status, gone.Body)
	}
}
