package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/s3test"
	"github.com/callrec/callrec/simulate"
)

// TestRecordingsInObjectStorage runs `callrec serve --storage` on a real S3
// server (versitygw) and on Azurite: a participant's 440 Hz tone is
// recorded, its chunk is in the bucket (not in the data directory), and a
// ranged download through callrec holds the tone. With S3, the store then
// goes down before a stop: the stopped recording lists its chunk at once and
// it downloads from the spool, holding the tone; the server is killed with
// -9, and the restarted server uploads the chunk once the store is back, and
// only then sends the file event; the ranged download from the bucket holds
// the tone.
func TestRecordingsInObjectStorage(t *testing.T) {
	t.Run("s3", func(t *testing.T) {
		url := s3test.Bucket(t)
		dataDir := t.TempDir()
		srv := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only", "--storage", url}})
		recordToneToStore(t, srv, url, dataDir)
		killedMidUpload(t, srv, url, dataDir)
	})
	t.Run("azblob", func(t *testing.T) {
		url := azuritetest.Container(t)
		dataDir := t.TempDir()
		srv := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only", "--storage", url}})
		recordToneToStore(t, srv, url, dataDir)
	})
}

// recordToneFor records a participant's 440 Hz tone for a few seconds and
// returns the recording's id, not stopped.
func recordToneFor(ctx context.Context, t *testing.T, srv *server) (*callautomation.Client, string) {
	t.Helper()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCallAs(ctx, t, client, callautomation.RecordingChannelMixed, callautomation.RecordingFormatWav)
	joined := make(chan struct{})
	go func() {
		defer close(joined)
		simulate.Join(ctx, simulate.Options{
			ConnectionString: srv.ConnectionString(),
			CallID:           callID,
			Participant:      "8:acs:tone",
			Source:           "tone:440",
			Duration:         4 * time.Second,
			SettingEngine:    simulate.LoopbackSettingEngine(),
		})
	}()
	waitForParticipant(ctx, t, client, callID, "8:acs:tone", 30*time.Second)
	<-joined
	return client, recordingID
}

// checkRangedTone downloads the chunk whole, finds where the tone is heard,
// then downloads 0.5 s in the middle of that with a Range request: the
// range must be those bytes of the whole, and hold the 440 Hz tone.
func checkRangedTone(ctx context.Context, t *testing.T, client *callautomation.Client, chunk callautomation.RecordingChunk) {
	t.Helper()
	rec := client.CallRecording()
	var whole bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunk.ContentLocation, &whole); err != nil {
		t.Fatal(err)
	}
	a, err := wav.Read(bytes.NewReader(whole.Bytes()))
	if err != nil {
		t.Fatalf("stored chunk is not a WAV: %v", err)
	}
	x := a.Channels[0]
	first, last := audio.FirstAbove(x, 0.05), len(x)-1
	for last >= 0 && x[last] < 1600 && x[last] > -1600 {
		last--
	}
	if first < 0 || last-first < 16000 {
		t.Fatalf("no second of tone in the chunk (from sample %d to %d of %d)", first, last, len(x))
	}
	// Half a second in the middle of what was heard.
	off := int64(a.Format.HeaderSize() + 2*((first+last)/2-4000))
	body, err := rec.DownloadStreaming(ctx, chunk.ContentLocation, &callautomation.HTTPRange{Offset: off, Length: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil || len(b) != 16000 {
		t.Fatalf("ranged download: %d bytes, %v", len(b), err)
	}
	if !bytes.Equal(b, whole.Bytes()[off:off+16000]) {
		t.Fatal("the ranged download differs from those bytes of the whole")
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(b[2*i]) | int16(b[2*i+1])<<8
	}
	if f, ratio := audio.DetectTone(pcm, 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("the ranged download holds %v Hz (ratio %.0f), want 440", f, ratio)
	}
}

// checkInBucket checks that the chunk's audio is an object of the bucket at
// storeURL and that the data directory holds no recordings.
func checkInBucket(t *testing.T, storeURL, dataDir string, chunk callautomation.RecordingChunk) {
	t.Helper()
	store, err := blob.Open(t.Context(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a, err := store.Stat(t.Context(), chunk.DocumentID+"/audio.wav")
	if err != nil {
		t.Fatalf("chunk %s not in the bucket: %v", chunk.DocumentID, err)
	}
	if a.Size < 44+3*32000 {
		t.Errorf("stored audio is %d bytes", a.Size)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "recordings")); !os.IsNotExist(err) {
		t.Errorf("the data directory has recordings/ with --storage: %v", err)
	}
}

func recordToneToStore(t *testing.T, srv *server, storeURL, dataDir string) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client, recordingID := recordToneFor(ctx, t, srv)
	chunk := stopFirstChunk(ctx, t, client, recordingID)
	checkInBucket(t, storeURL, dataDir, chunk)
	checkRangedTone(ctx, t, client, chunk)
}

func killedMidUpload(t *testing.T, srv *server, storeURL, dataDir string) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	files := startCallbackReceiver(t, nil)
	subscribeFileEvents(t, srv.ConnectionString(), files.URL+"/files")
	client, recordingID := recordToneFor(ctx, t, srv)
	s3 := s3test.Shared(t)
	s3.Kill()
	up := false
	defer func() {
		if !up {
			s3.Restart()
		}
	}()
	// With the store down, the stopped recording lists its chunk at once
	// and it downloads from the spool; its file event waits for the upload.
	chunk := stopFirstChunk(ctx, t, client, recordingID)
	checkRangedTone(ctx, t, client, chunk)
	time.Sleep(time.Second)
	for _, d := range files.Deliveries() {
		if strings.Contains(string(d.Body), recordingID) {
			t.Fatalf("file event delivered before the chunk was stored: %s", d.Body)
		}
	}
	srv.Kill(t)
	if err := s3.Restart(); err != nil {
		t.Fatal(err)
	}
	up = true
	// On the same address: the content URLs listed at the stop stay good.
	srv = startServer(t, serverOptions{dataDir: dataDir, addr: srv.addr, args: []string{"--ice-loopback-only", "--storage", storeURL}})
	client, _ = callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	ev := files.WaitForFileStatus(t, recordingID, 90*time.Second)
	if got := ev.Data.RecordingStorageInfo.RecordingChunks; len(got) != 1 || got[0].DocumentID != chunk.DocumentID {
		t.Fatalf("file event lists %+v, want the chunk listed at the stop %s", got, chunk.DocumentID)
	}
	checkInBucket(t, storeURL, dataDir, chunk)
	checkRangedTone(ctx, t, client, chunk)
	if spool, _ := os.ReadDir(filepath.Join(dataDir, "spool")); len(spool) != 0 {
		t.Errorf("spool not emptied after the upload: %d entries", len(spool))
	}
}
