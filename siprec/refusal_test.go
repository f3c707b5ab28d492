package siprec_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
)

// sdpOffer is an SRC's offer of one PCMA stream per label.
func sdpOffer(proto, formats string, labels ...string) string {
	var b strings.Builder
	b.WriteString("v=0\no=sbc 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n")
	for i, l := range labels {
		b.WriteString("m=audio " + strconv.Itoa(7000+2*i) + " " + proto + " " + formats + "\n")
		if l != "" {
			b.WriteString("a=label:" + l + "\n")
		}
		b.WriteString("a=sendonly\n")
	}
	return b.String()
}

const goodMetadata = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>complete</datamode>
  <session session_id="refused"/>
  <participant participant_id="p1"><nameID aor="sip:+14255550101@sbc.example"/></participant>
  <stream stream_id="s1" session_id="refused"><label>1</label></stream>
  <participantstreamassoc participant_id="p1"><send>s1</send></participantstreamassoc>
</recording>`

func multipartBody(sdp, metadata string) string {
	return "--foobar\nContent-Type: application/sdp\n\n" + sdp + "\n--foobar\nContent-Type: application/rs-metadata+xml\n" +
		"Content-Disposition: recording-session\n\n" + metadata + "\n--foobar--"
}

// TestSippRefusals: each bad SIPREC INVITE gets its SIP error with a
// Warning saying why, and opens no call.
func TestSippRefusals(t *testing.T) {
	n := startNode(t)
	const mp = "multipart/mixed;boundary=foobar"
	for _, tc := range []struct {
		name, contentType, body, status, warning string
	}{
		{"no metadata", "application/sdp", sdpOffer("RTP/AVP", "8", "1"), "400", "a SIPREC INVITE needs recording metadata"},
		{"metadata does not parse", mp, multipartBody(sdpOffer("RTP/AVP", "8", "1"), "<recording><participant"), "400", "recording metadata does not parse"},
		{"wrong root", mp, multipartBody(sdpOffer("RTP/AVP", "8", "1"), "<meta/>"), "400", "recording metadata: root element"},
		{"labels do not match", mp, multipartBody(sdpOffer("RTP/AVP", "8", "7", "8"), goodMetadata), "400", "no stream of the SDP matches"},
		{"stream without label", mp, multipartBody(sdpOffer("RTP/AVP", "8", ""), goodMetadata), "400", "m= line 1 has no a=label"},
		{"unsupported codecs", mp, multipartBody(sdpOffer("RTP/AVP", "18 111", "1"), goodMetadata), "488", "stream 1: no common audio codec"},
		{"SRTP without key", mp, multipartBody(sdpOffer("RTP/SAVP", "8", "1"), goodMetadata), "488", "stream 1: RTP/SAVP without a=crypto"},
		{"not multipart", "text/plain", "hello", "415", "body of type text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.runSipp(t, "refused.xml", map[string]string{"CONTENTTYPE": tc.contentType, "BODY": tc.body,
				"STATUS": tc.status, "WARNING": tc.warning})
		})
	}
	for c, err := range n.client.Calls().List(callautomation.ListCallsOptions{State: callrec.CallActive}).All(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("a refused INVITE opened call %s", c.ServerCallID)
	}
}
