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
	AudioPath         string         `json:"audioPath"`
	AudioBytes        int            `json:"audioBytes"`
	AudioSHA256       string         `json:"audioSha256"`
	Metadata          map[string]any `json:"metadata"`
	RangeHex          string         `json:"rangeHex"`
	FromZeroSHA256    string         `json:"fromZeroSha256"`    // downloadStreaming {offset: 0}
	OffsetZeroRefusal string         `json:"offsetZeroRefusal"` // what {offset: 0, length: 8} threw
	AfterDelete       *contentError  `json:"afterDelete"`
	AllowListRefusals []struct {
		Call    string `json:"call"`
		Message string `json:"message"`
	} `json:"allowListRefusals"`
	// Sent and Lookups are reported when the SDK's sockets were routed by
	// loopback-http-client.mjs: what it sent, and the names it resolved.
	Sent []struct {
		Method string `json:"method"`
		URL    string `json:"url"`
		Host   string `json:"host"`
		Range  string `json:"range"`
	} `json:"sent"`
	Lookups []string `json:"lookups"`
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

	checkSDKContentReport(t, report, version, direct.Body, meta.SHA256)
	gone := client.Content(t, http.MethodGet, chunk.ContentLocation)
	var body contentError
	if gone.Status != http.StatusNotFound || json.Unmarshal(gone.Body, &body) != nil || body.Status != http.StatusNotFound || body.Message == "" {
		t.Errorf("after the SDK's delete, GET content = %d %s; want 404 with top-level status and message", gone.Status, gone.Body)
	}
}

// checkSDKContentReport checks what content.mjs reports after it downloaded
// and deleted a chunk: the whole file equals direct (from downloadToPath and
// from downloadStreaming {offset: 0}), the {offset: 4, length: 8} range is
// bytes 4..11, {offset: 0, length: 8} was refused by the SDK itself, the
// metadata carries metadataSHA256, and a download after the delete got 404.
func checkSDKContentReport(t *testing.T, report contentReport, version string, direct []byte, metadataSHA256 string) {
	t.Helper()
	sum := sha256.Sum256(direct)
	if report.AudioSHA256 != hex.EncodeToString(sum[:]) || report.AudioBytes != len(direct) {
		t.Errorf("SDK %s downloaded %d bytes with sha256 %s; the server's content is %d bytes with sha256 %x",
			version, report.AudioBytes, report.AudioSHA256, len(direct), sum)
	}
	if report.FromZeroSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SDK %s downloadStreaming {offset:0} has sha256 %s, want the whole file's %x", version, report.FromZeroSHA256, sum)
	}
	if want := hex.EncodeToString(direct[4:12]); report.RangeHex != want {
		t.Errorf("SDK %s range {offset:4,length:8} = %s, want %s", version, report.RangeHex, want)
	}
	if report.OffsetZeroRefusal == "" {
		t.Errorf("SDK %s: the report has no refusal of {offset:0,length:8}", version)
	}
	if report.Metadata["sha256"] != metadataSHA256 {
		t.Errorf("SDK %s metadata sha256 %v, want %s", version, report.Metadata["sha256"], metadataSHA256)
	}
	if report.AfterDelete == nil || report.AfterDelete.Status != http.StatusNotFound {
		t.Errorf("SDK %s: download after delete gave %+v, want status 404 with a message", version, report.AfterDelete)
	}
}
