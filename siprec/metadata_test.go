package siprec

import (
	"slices"
	"testing"
)

const rfcDoc = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>complete</datamode>
  <session session_id="cs1"><sipSessionID>ab;remote=cd</sipSessionID></session>
  <participant participant_id="pA"><nameID aor="sip:+14255550101@sbc.example;user=phone"><name xml:lang="en">Caller</name></nameID></participant>
  <participant participant_id="pB"><nameID aor="sip:agent7@pbx.example:5060;transport=tcp"/></participant>
  <stream stream_id="s1" session_id="cs1"><label>1</label></stream>
  <stream stream_id="s2" session_id="cs1"><label>2</label></stream>
  <participantstreamassoc participant_id="pA"><send>s1</send><recv>s2</recv></participantstreamassoc>
  <participantstreamassoc participant_id="pB"><send>s2</send></participantstreamassoc>
  <x:vendor xmlns:x="urn:example"><x:deep><x:deeper/></x:deep></x:vendor>
</recording>`

const legacyDoc = `<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">
  <dataMode>complete</dataMode>
  <session id="urn:uuid:cs"><start-time>2024-05-13T03:55:43+00:00</start-time></session>
  <participant id="urn:uuid:a" session="urn:uuid:cs"><aor>tel:+1-425-555-0102</aor><send><id>urn:uuid:s1</id></send></participant>
  <participant id="urn:uuid:b" session="urn:uuid:cs"><aor>sip:7711@10.0.0.1;user=phone</aor><send>urn:uuid:s2</send></participant>
  <stream id="urn:uuid:s1" session="urn:uuid:cs"><label>1</label><mode>separate</mode></stream>
  <stream id="urn:uuid:s2" session="urn:uuid:cs"><label>2</label></stream>
  <extensiondata id="e" parent="urn:uuid:cs"><broadWorksRecordingMetadata xmlns="http://schema.broadsoft.com/broadworksCallRecording"/></extensiondata>
</recording_metadata>`

// senderOf returns the rawId of the one participant sending label's stream.
func senderOf(t *testing.T, m *Metadata, label string) string {
	t.Helper()
	s, ok := m.StreamByLabel(label)
	if !ok {
		t.Fatalf("no stream %q", label)
	}
	p := m.Senders(s.ID)
	if len(p) != 1 {
		return ""
	}
	return RawID(p[0])
}

func TestParseMetadataDialects(t *testing.T) {
	m, err := ParseMetadata([]byte(rfcDoc))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dialect != DialectRFC7865 || m.DataMode != ModeComplete || m.SessionID() != "cs1" || m.Participants[0].Name != "Caller" {
		t.Fatalf("%+v", m)
	}
	if a, b := senderOf(t, m, "1"), senderOf(t, m, "2"); a != "4:+14255550101" || b != "sip:agent7@pbx.example" {
		t.Fatalf("senders %q %q", a, b)
	}
	l, err := ParseMetadata([]byte(legacyDoc))
	if err != nil {
		t.Fatal(err)
	}
	if l.Dialect != DialectLegacy || l.SessionID() != "urn:uuid:cs" || l.Sessions[0].StartTime == "" {
		t.Fatalf("%+v", l)
	}
	if a, b := senderOf(t, l, "1"), senderOf(t, l, "2"); a != "4:+14255550102" || b != "sip:7711@10.0.0.1" {
		t.Fatalf("senders %q %q", a, b)
	}
}

func TestParseMetadataRefusals(t *testing.T) {
	for _, doc := range []string{"", "<recording>", "<other/>", "<recording><datamode>sometimes</datamode></recording>",
		"<recording><participant/></recording>", "<recording><stream><label>1</label></stream></recording>",
		"<recording/><recording/>"} {
		if _, err := ParseMetadata([]byte(doc)); err == nil {
			t.Errorf("%q parsed", doc)
		}
	}
}

// TestMerge: a partial update adds a participant and a stream, moves a
// stream to another participant and marks one as gone; a complete one
// replaces everything, the participants it lacks having left.
func TestMerge(t *testing.T) {
	m, _ := ParseMetadata([]byte(rfcDoc))
	u, err := ParseMetadata([]byte(`<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>partial</datamode>
	  <participant participant_id="pC"><nameID aor="tel:+14255550103"/></participant>
	  <stream stream_id="s3"><label>3</label></stream>
	  <participantstreamassoc participant_id="pC"><send>s3</send><send>s2</send></participantstreamassoc>
	  <participantstreamassoc participant_id="pB"></participantstreamassoc>
	  <participantsessionassoc participant_id="pA" session_id="cs1"><disassociate-time>2026-01-01T10:00:00Z</disassociate-time></participantsessionassoc>
	</recording>`))
	if err != nil {
		t.Fatal(err)
	}
	m.Merge(u)
	if got := []string{senderOf(t, m, "1"), senderOf(t, m, "2"), senderOf(t, m, "3")}; !slices.Equal(got, []string{"", "4:+14255550103", "4:+14255550103"}) {
		t.Fatalf("senders after the partial update %v", got)
	}
	full, _ := ParseMetadata([]byte(`<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
	  <participant participant_id="pD"><nameID aor="sip:d@example.com"/></participant>
	  <stream stream_id="s9"><label>9</label></stream>
	  <participantstreamassoc participant_id="pD"><send>s9</send></participantstreamassoc></recording>`))
	m.Merge(full)
	if senderOf(t, m, "9") != "sip:d@example.com" || len(m.Streams) != 1 {
		t.Fatalf("after a complete update %+v", m)
	}
	for _, p := range m.Participants {
		if p.ID != "pD" && !p.Left {
			t.Errorf("%s has not left", p.ID)
		}
	}
}

func TestRawID(t *testing.T) {
	for aor, want := range map[string]string{
		"tel:+14255550103":                   "4:+14255550103",
		"<sip:+14255550101@sbc;user=phone>":  "4:+14255550101",
		"sips:alice@example.com:5061":        "sip:alice@example.com",
		"sip:7711@10.0.0.1;user=phone":       "sip:7711@10.0.0.1",
		"tel:7711;phone-context=example.com": "tel:7711",
		"sip:%2B14255550104@host":            "4:+14255550104",
		"":                                   "siprec-participant:p",
		"urn:service:sos":                    "siprec-participant:p",
		"sip:bob smith@example.com":          "sip:bob_smith@example.com",
		"sip:example.com":                    "sip:example.com",
	} {
		if got := RawID(Participant{ID: "p", AOR: aor}); got != want {
			t.Errorf("RawID(%q) = %q, want %q", aor, got, want)
		}
	}
	if ServerCallID("cs", 0) != ServerCallID("cs", 0) || ServerCallID("cs", 0) == ServerCallID("cs", 1) {
		t.Error("ServerCallID is not stable per session and generation")
	}
}

func TestParseBody(t *testing.T) {
	body := "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
		"--b\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n<recording/>\r\n--b--\r\n"
	b, err := ParseBody("multipart/mixed; boundary=b", []byte(body))
	if err != nil || string(b.SDP) != "v=0\r\n" || string(b.Metadata) != "<recording/>" {
		t.Fatalf("%q %q %v", b.SDP, b.Metadata, err)
	}
	for ct, code := range map[string]int{"multipart/mixed": 400, "text/html": 415, "multipart/mixed; boundary=zz": 400, ";;": 400} {
		_, err := ParseBody(ct, []byte(body))
		if err == nil {
			t.Errorf("%q: no error, want %d", ct, code)
		} else if r := refusalOf(err); r.code != code {
			t.Errorf("%q: %v, want %d", ct, err, code)
		}
	}
}
