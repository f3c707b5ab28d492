package recorder_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/recorder"
)

func TestContentStore(t *testing.T) {
	r := newRig(t, nil)
	r.start("rec-content", callrec.RecordingSpec{})
	r.play(1, voice{id: "a", freq: 440, amp: 8000, to: 1})
	c := r.stop("rec-content", callrec.EndReasonSessionEnded)[0]
	ctx := context.Background()

	audio, err := r.eng.OpenContent(ctx, c.DocumentID, callrec.PartAudio)
	if err != nil {
		t.Fatal(err)
	}
	if audio.ContentType != "audio/wav" || audio.Size != 44+32000 || audio.ETag != `"`+c.SHA256+`"` || audio.ModTime.IsZero() {
		t.Errorf("audio content %+v", audio)
	}
	// Seekable, for ranged downloads.
	if _, err := audio.Seek(44, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(audio)
	audio.Close()
	if len(rest) != 32000 {
		t.Errorf("read %d bytes after seeking past the header, want 32000", len(rest))
	}
	meta, err := r.eng.OpenContent(ctx, c.DocumentID, callrec.PartMetadata)
	if err != nil {
		t.Fatal(err)
	}
	meta.Close()
	if meta.ContentType != "application/json" || meta.Size == 0 {
		t.Errorf("metadata content %+v", meta)
	}

	for _, bad := range []struct{ doc, part string }{
		{c.DocumentID, callrec.PartVideo},
		{"0-loc-d1-00000000000000000000000000000000", callrec.PartAudio},
		{"../../etc/passwd", callrec.PartAudio},
		{c.DocumentID + "/x", callrec.PartAudio},
	} {
		if _, err := r.eng.OpenContent(ctx, bad.doc, bad.part); callrec.CodeOf(err) != callrec.CodeContentNotFound ||
			callrec.KindOf(err) != callrec.KindNotFound {
			t.Errorf("open %q %q: %v", bad.doc, bad.part, err)
		}
	}
	if err := r.eng.DeleteDocument(ctx, c.DocumentID); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{callrec.PartAudio, callrec.PartMetadata} {
		if _, err := r.eng.OpenContent(ctx, c.DocumentID, part); callrec.CodeOf(err) != callrec.CodeContentNotFound {
			t.Errorf("%s after delete: %v", part, err)
		}
	}
	if err := r.eng.DeleteDocument(ctx, c.DocumentID); callrec.CodeOf(err) != callrec.CodeContentNotFound {
		t.Errorf("second delete: %v", err)
	}
}

func TestEngineErrors(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	// audioVideo is one composite: mixed only.
	mp4 := &callrec.Recording{ID: "x", Spec: callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudioVideo,
		Channel: callrec.ChannelUnmixed, Format: callrec.FormatMp4}}
	var ce *callrec.Error
	if err := r.eng.Start(ctx, mp4); !errors.As(err, &ce) || ce.Kind != callrec.KindInvalid || ce.Target != "recordingChannelType" {
		t.Errorf("unmixed mp4 start: %v", err)
	}
	unmixedMP3 := &callrec.Recording{ID: "y", Spec: callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudio,
		Channel: callrec.ChannelUnmixed, Format: callrec.FormatMp3}}
	if err := r.eng.Start(ctx, unmixedMP3); callrec.CodeOf(err) != "UnsupportedRecordingFormat" {
		t.Errorf("unmixed mp3 start: %v", err)
	}
	r.start("dup", callrec.RecordingSpec{})
	if err := r.eng.Start(ctx, &callrec.Recording{ID: "dup", Spec: mp4.Spec}); err == nil {
		t.Error("unmixed mp4 accepted")
	}
	mp4.ID, mp4.Spec.Content, mp4.Spec.Format = "dup", callrec.ContentAudio, callrec.FormatWav
	if err := r.eng.Start(ctx, mp4); callrec.KindOf(err) != callrec.KindConflict {
		t.Errorf("second start: %v", err)
	}
	for _, err := range []error{r.eng.Pause(ctx, "nope"), r.eng.Resume(ctx, "nope")} {
		if callrec.CodeOf(err) != callrec.CodeRecordingNotFound {
			t.Errorf("op on unknown recording: %v", err)
		}
	}
	if _, err := r.eng.Stop(ctx, "nope", "sessionEnded"); callrec.CodeOf(err) != callrec.CodeRecordingNotFound {
		t.Errorf("stop unknown: %v", err)
	}
	if _, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: r.store, Lateness: time.Second}); err == nil {
		t.Error("a Lateness not below Durability was accepted")
	}
}

// The recorder waits as long as the call media core's publishers may take:
// a Lateness or StopGrace below the hub's budget is refused at
// construction, whatever budget the hub has.
func TestEngineRefusesWaitsBelowTheMediaBudget(t *testing.T) {
	store, hub := storeAndHub(t)
	for _, c := range []struct {
		name                string
		lateness, stopGrace time.Duration
		ok                  bool
	}{
		{"defaults", 0, 0, true},
		{"lateness below the budget's max delay", 400 * time.Millisecond, 0, false},
		{"stop grace below the budget's delay", 0, 200 * time.Millisecond, false},
		{"more than the budget", 600 * time.Millisecond, 300 * time.Millisecond, true},
	} {
		eng, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: store, Media: hub,
			Lateness: c.lateness, StopGrace: c.stopGrace})
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
		}
		if eng != nil {
			eng.Close()
		}
	}
	slow, err := callmedia.New(callmedia.Config{Budget: callmedia.Budget{Delay: 300 * time.Millisecond, MaxDelay: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if eng, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: store, Media: slow}); err != nil {
		t.Errorf("defaults follow the hub's budget: %v", err)
	} else {
		eng.Close()
	}
	if eng, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: store, Media: slow, Lateness: 450 * time.Millisecond}); err == nil {
		eng.Close()
		t.Error("a Lateness that fits the default budget but not the hub's was accepted")
	}
}

func TestRetention(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	record := func(id string) callrec.Chunk {
		r.start(id, callrec.RecordingSpec{})
		r.play(0.2, voice{id: "a", freq: 440, amp: 8000, to: 100})
		return r.stop(id, callrec.EndReasonSessionEnded)[0]
	}
	old := record("rec-old")
	r.t0 = r.t0.Add(2 * time.Hour) // the clock jumps 2 h
	r.clock.Set(r.t0)
	fresh := record("rec-new")

	deleted, err := r.eng.Sweep(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deleted, []string{old.DocumentID}) {
		t.Fatalf("swept %v, want only %s", deleted, old.DocumentID)
	}
	for _, part := range []string{callrec.PartAudio, callrec.PartMetadata} {
		if _, err := r.eng.OpenContent(ctx, old.DocumentID, part); callrec.CodeOf(err) != callrec.CodeContentNotFound {
			t.Errorf("old %s still there: %v", part, err)
		}
		if c, err := r.eng.OpenContent(ctx, fresh.DocumentID, part); err != nil {
			t.Errorf("fresh %s gone: %v", part, err)
		} else {
			c.Close()
		}
	}

	// The engine's own sweeper, configured by Retention.
	r2 := newRig(t, func(c *recorder.Config) { c.Retention = time.Hour; c.RetentionEvery = 20 * time.Millisecond })
	r2.start("rec-auto", callrec.RecordingSpec{})
	r2.play(0.2, voice{id: "a", freq: 440, amp: 8000, to: 100})
	doc := r2.stop("rec-auto", callrec.EndReasonSessionEnded)[0].DocumentID
	time.Sleep(100 * time.Millisecond)
	if c, err := r2.eng.OpenContent(ctx, doc, callrec.PartAudio); err != nil {
		t.Fatalf("content swept before its time: %v", err)
	} else {
		c.Close()
	}
	r2.clock.Set(r2.clock.Now().Add(61 * time.Minute))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := r2.eng.OpenContent(ctx, doc, callrec.PartAudio)
		if callrec.CodeOf(err) == callrec.CodeContentNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("retention sweeper did not delete content older than Retention")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
