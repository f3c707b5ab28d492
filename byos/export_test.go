package byos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/byos"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/s3test"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate"
)

// TestExportToCustomerContainer runs a node whose own store is an Azurite
// container of the development account, allowing two containers of another
// account (the customer's): one with the right key, one with a wrong key.
// A recording of a 440 Hz tone started with externalStorage naming the
// first lands there under ACS's layout, byte for byte what callrec's
// download serves, and its file event says so; one naming the second fails
// for good after the retries: its files are downloadable from callrec and
// its event says they were not exported; a destination not allowed, or not
// a container URL, gets 400 naming the field.
func TestExportToCustomerContainer(t *testing.T) {
	good, goodClient := azuritetest.CustomerContainer(t)
	bad, badClient := azuritetest.CustomerContainer(t)
	withSAS, sasClient := azuritetest.CustomerContainer(t)
	file := filepath.Join(t.TempDir(), "external-storage.json")
	writeJSON(t, file, byos.File{Destinations: []byos.Destination{
		{ContainerURL: good, AccountKey: azuritetest.CustomerKey},
		{ContainerURL: bad, AccountKey: azuritetest.Key}, // another account's key
		{ContainerURL: withSAS, SASToken: containerSAS(t, path.Base(withSAS))},
	}})
	own := azuritetest.Container(t)
	srv := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.Storage = own
		c.ExternalStorageFile = file
		c.ExportRetries = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	}))
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	t.Run("refused", func(t *testing.T) {
		call, err := client.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			kind      callautomation.RecordingStorageKind
			url, code string
		}{
			{callautomation.RecordingStorageKindAzureBlobStorage, strings.TrimSuffix(good, "1") + "9", byos.CodeNotAllowed},
			{callautomation.RecordingStorageKindAzureBlobStorage, "https://contoso.blob.core.windows.net/recordings", byos.CodeNotAllowed},
			{callautomation.RecordingStorageKindS3, "s3://recordings", byos.CodeNotAllowed},
			{callautomation.RecordingStorageKindAzureBlobStorage, good + "?sv=2024&sig=abc", byos.CodeInvalidContainerURL},
			{callautomation.RecordingStorageKindAzureBlobStorage, "ftp://contoso/recordings", byos.CodeInvalidContainerURL},
			{callautomation.RecordingStorageKindAzureBlobStorage, "https://contoso.blob.core.windows.net/Bad_Name", byos.CodeInvalidContainerURL},
		} {
			_, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
				CallLocator:     callautomation.ServerCallLocator{ID: call.ServerCallID},
				ExternalStorage: &callautomation.ExternalStorage{Kind: tc.kind, ContainerURL: tc.url},
			})
			var re *callautomation.ResponseError
			if !errors.As(err, &re) || re.StatusCode != 400 || re.Code != tc.code ||
				!strings.Contains(re.Message, "externalStorage.recordingDestinationContainerUrl") {
				t.Errorf("start with %s %s: %v, want 400 %s naming the field", tc.kind, tc.url, err, tc.code)
			}
		}
	})

	t.Run("exported", func(t *testing.T) {
		id, ev := recordTone(ctx, t, client, srv.ConnectionString, azure, good)
		if ev["storageType"] != "AzureBlob" || ev["recordingId"] != id {
			t.Errorf("event storageType %v, recordingId %v; want AzureBlob, %s", ev["storageType"], ev["recordingId"], id)
		}
		es, _ := ev["externalStorage"].(map[string]any)
		if es["exported"] != true || es["recordingDestinationContainerUrl"] != good {
			t.Errorf("event externalStorage %v", es)
		}
		folder, _ := es["folder"].(string)
		chunks := eventChunks(t, ev)
		got := listBlobs(ctx, t, goodClient)
		var want []string
		for _, c := range chunks {
			want = append(want, byos.MediaName(folder, c.Index, c.DocumentID, "audio", "wav"),
				byos.MetadataName(folder, c.Index, c.DocumentID))
		}
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("customer container holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// ACS's layout: YYYYMMDD/callId/<first 8 of the recording id>-<guid>.
		parts := strings.Split(folder, "/")
		if len(parts) != 3 || len(parts[0]) != 8 || !strings.HasPrefix(parts[2], id[:8]+"-") || len(parts[2]) != 8+1+36 {
			t.Errorf("folder %q is not YYYYMMDD/callId/<8>-<guid>", folder)
		}
		rec := client.CallRecording()
		for _, c := range chunks {
			for _, p := range []struct{ loc, name string }{
				{c.ContentLocation, byos.MediaName(folder, c.Index, c.DocumentID, "audio", "wav")},
				{c.MetadataLocation, byos.MetadataName(folder, c.Index, c.DocumentID)},
			} {
				var dl bytes.Buffer
				if _, err := rec.DownloadTo(ctx, p.loc, &dl); err != nil {
					t.Fatal(err)
				}
				exported := readBlob(ctx, t, goodClient, p.name)
				if !bytes.Equal(dl.Bytes(), exported) {
					t.Errorf("%s: %d bytes exported, %d downloaded, not the same", p.name, len(exported), dl.Len())
				}
				if strings.HasSuffix(p.name, ".wav") {
					checkTone(t, exported)
				}
			}
		}
		if blobs := listBlobs(ctx, t, badClient); len(blobs) != 0 {
			t.Errorf("the other container holds %v", blobs)
		}
	})

	t.Run("official JS SDK", func(t *testing.T) {
		// @azure/communication-call-automation 1.6.0 sends its
		// recordingStorage option as externalStorage.
		dir := filepath.Join("..", "e2e", "jssdk")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@azure", "communication-call-automation")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("e2e/jssdk/node_modules missing: %v", err)
			}
			t.Skipf("e2e/jssdk/node_modules missing (npm ci in e2e/jssdk): %v", err)
		}
		call, err := client.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, "node", "byos.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CALLREC_CONNECTION_STRING="+srv.ConnectionString, "SERVER_CALL_ID="+call.ServerCallID,
			"ALLOWED_URL="+good, "REFUSED_URL=https://contoso.blob.core.windows.net/recordings")
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("node byos.mjs: %v\n%s", err, ee.Stderr)
			}
			t.Fatal(err)
		}
		var got struct {
			RecordingID string `json:"recordingId"`
			Refused     struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"refused"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.Refused.Code != byos.CodeNotAllowed || !strings.Contains(got.Refused.Message, "contoso") {
			t.Errorf("refused start: %+v", got.Refused)
		}
		r, err := srv.App.DB.Recording(ctx, got.RecordingID)
		if err != nil {
			t.Fatal(err)
		}
		if es := r.Spec.ExternalStorage; es == nil || es.ContainerURL != good || es.Kind != callrec.StorageAzureBlob {
			t.Errorf("the SDK's recording has externalStorage %+v, want %s", es, good)
		}
		if err := client.CallRecording().Stop(ctx, got.RecordingID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sas", func(t *testing.T) {
		_, ev := recordTone(ctx, t, client, srv.ConnectionString, azure, withSAS)
		es, _ := ev["externalStorage"].(map[string]any)
		if ev["storageType"] != "AzureBlob" || es["exported"] != true {
			t.Fatalf("event storageType %v, externalStorage %v", ev["storageType"], es)
		}
		if got := listBlobs(ctx, t, sasClient); len(got) != 2*len(eventChunks(t, ev)) {
			t.Errorf("the container holds %v", got)
		}
	})

	t.Run("failed", func(t *testing.T) {
		_, ev := recordTone(ctx, t, client, srv.ConnectionString, azure, bad)
		es, _ := ev["externalStorage"].(map[string]any)
		if ev["storageType"] != "AzureCommunicationServices" || es["exported"] != false || es["error"] == "" || es["error"] == nil {
			t.Errorf("event storageType %v, externalStorage %v; want AzureCommunicationServices, not exported, an error", ev["storageType"], es)
		}
		if s, _ := es["error"].(string); strings.Contains(s, azuritetest.Key) {
			t.Errorf("the error shows the key: %s", s)
		}
		if blobs := listBlobs(ctx, t, badClient); len(blobs) != 0 {
			t.Errorf("the container with the wrong key holds %v", blobs)
		}
		rec := client.CallRecording()
		for _, c := range eventChunks(t, ev) {
			var dl bytes.Buffer
			if _, err := rec.DownloadTo(ctx, c.ContentLocation, &dl); err != nil {
				t.Fatalf("not downloadable from callrec after a failed export: %v", err)
			}
			checkTone(t, dl.Bytes())
		}
	})
}

const azure = callautomation.RecordingStorageKindAzureBlobStorage

// TestExportToS3Bucket exports to an S3 bucket (versitygw), the callrec
// extension: the objects are under the same layout and byte-identical to
// callrec's downloads, and the event's storageType is S3.
func TestExportToS3Bucket(t *testing.T) {
	u, err := url.Parse(s3test.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	s3 := s3test.Shared(t)
	dest := byos.Destination{ContainerURL: "s3://" + u.Host, Endpoint: s3.Endpoint(), Region: s3test.Region,
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, UsePathStyle: true}
	file := filepath.Join(t.TempDir(), "external-storage.json")
	writeJSON(t, file, byos.File{Destinations: []byos.Destination{dest}})
	srv := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.ExternalStorageFile = file }))
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	_, ev := recordTone(ctx, t, client, srv.ConnectionString, callautomation.RecordingStorageKindS3, dest.ContainerURL)
	es, _ := ev["externalStorage"].(map[string]any)
	if ev["storageType"] != "S3" || es["exported"] != true {
		t.Fatalf("event storageType %v, externalStorage %v", ev["storageType"], es)
	}
	bucket, err := blob.OpenS3Bucket(ctx, blob.S3Bucket{Bucket: u.Host, Endpoint: dest.Endpoint, Region: dest.Region,
		AccessKeyID: dest.AccessKeyID, SecretAccessKey: dest.SecretAccessKey, UsePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	folder, _ := es["folder"].(string)
	for _, c := range eventChunks(t, ev) {
		for _, p := range []struct{ loc, name string }{
			{c.ContentLocation, byos.MediaName(folder, c.Index, c.DocumentID, "audio", "wav")},
			{c.MetadataLocation, byos.MetadataName(folder, c.Index, c.DocumentID)},
		} {
			var dl bytes.Buffer
			if _, err := client.CallRecording().DownloadTo(ctx, p.loc, &dl); err != nil {
				t.Fatal(err)
			}
			obj, err := bucket.Open(ctx, p.name)
			if err != nil {
				t.Fatalf("%s not in the bucket: %v", p.name, err)
			}
			exported, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(exported, dl.Bytes()) {
				t.Errorf("%s: %d bytes exported (%v), %d downloaded, not the same", p.name, len(exported), err, dl.Len())
			}
		}
	}
}

// recordTone records a participant's 440 Hz tone for about three seconds
// with externalStorage naming dest, and returns the recording's id and the
// data of its RecordingFileStatusUpdated event.
func recordTone(ctx context.Context, t *testing.T, client *callautomation.Client, connStr string, kind callautomation.RecordingStorageKind, dest string) (string, map[string]any) {
	t.Helper()
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
		ExternalStorage:  &callautomation.ExternalStorage{Kind: kind, ContainerURL: dest},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = simulate.Join(ctx, simulate.Options{
		ConnectionString: connStr,
		CallID:           call.ServerCallID,
		Participant:      "8:acs:tone",
		Source:           "tone:440",
		Duration:         3 * time.Second,
		SettingEngine:    simulate.LoopbackSettingEngine(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CallRecording().Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	return st.RecordingID, fileEvent(ctx, t, client, st.RecordingID)
}

// fileEvent waits for a recording's RecordingFileStatusUpdated event on the
// event stream and returns its data.
func fileEvent(ctx context.Context, t *testing.T, client *callautomation.Client, id string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var data map[string]any
	found := errors.New("found")
	err := client.Events().Tail(ctx, 0, func(se callautomation.StreamedEvent) error {
		if se.Event.Type != callrec.EventRecordingFileStatusUpdated {
			return nil
		}
		var d map[string]any
		if err := json.Unmarshal(se.Event.Data, &d); err != nil {
			return err
		}
		if d["recordingId"] == id {
			data = d
			return found
		}
		return nil
	})
	if data == nil {
		t.Fatalf("no RecordingFileStatusUpdated event for %s within a minute: %v", id, err)
	}
	return data
}

type chunk struct {
	DocumentID       string `json:"documentId"`
	Index            int    `json:"index"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
}

func eventChunks(t *testing.T, ev map[string]any) []chunk {
	t.Helper()
	b, _ := json.Marshal(ev["recordingStorageInfo"])
	var info struct {
		RecordingChunks []chunk `json:"recordingChunks"`
	}
	if err := json.Unmarshal(b, &info); err != nil || len(info.RecordingChunks) == 0 {
		t.Fatalf("event lists no chunks: %s (%v)", b, err)
	}
	return info.RecordingChunks
}

func listBlobs(ctx context.Context, t *testing.T, c *container.Client) []string {
	t.Helper()
	var names []string
	pager := c.NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	sort.Strings(names)
	return names
}

func readBlob(ctx context.Context, t *testing.T, c *container.Client, name string) []byte {
	t.Helper()
	resp, err := c.NewBlobClient(name).DownloadStream(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkTone checks that a WAV holds at least a second of 440 Hz.
func checkTone(t *testing.T, b []byte) {
	t.Helper()
	a, err := wav.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a WAV: %v", err)
	}
	x := a.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 || len(x)-first < 16000 {
		t.Fatalf("no second of sound in the recording (first sound at sample %d of %d)", first, len(x))
	}
	if f, ratio := audio.DetectTone(x[first:first+16000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("the recording holds %v Hz (ratio %.0f), want 440", f, ratio)
	}
}

// containerSAS is a container SAS of CustomerAccount that may create and
// write blobs, for an hour.
func containerSAS(t *testing.T, name string) string {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(azuritetest.CustomerAccount, azuritetest.CustomerKey)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		ExpiryTime:    time.Now().Add(time.Hour),
		Permissions:   (&sas.ContainerPermissions{Create: true, Write: true, Add: true}).String(),
		ContainerName: name,
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
