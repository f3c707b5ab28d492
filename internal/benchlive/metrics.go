package benchlive

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ingestCounters are the server's ingest counters (WebRTC's or SIP's) and
// the recorder's late audio, from GET /metrics on its metrics listener.
type ingestCounters struct {
	received  float64 // RTP audio packets received
	lost      float64 // never received before their reorder window closed
	late      float64 // arrived after their audio was due, dropped
	concealed float64 // frames synthesised by loss concealment
	decodeSec float64 // seconds spent in Opus decode (sum of the decode_seconds histogram)
	// lateSamples reached the recorder after their position was committed:
	// decoded audio that came too far behind the call clock.
	lateSamples float64
}

func (c ingestCounters) minus(o ingestCounters) ingestCounters {
	return ingestCounters{c.received - o.received, c.lost - o.lost, c.late - o.late, c.concealed - o.concealed,
		c.decodeSec - o.decodeSec, c.lateSamples - o.lateSamples}
}

func (c ingestCounters) plus(o ingestCounters) ingestCounters {
	return ingestCounters{c.received + o.received, c.lost + o.lost, c.late + o.late, c.concealed + o.concealed,
		c.decodeSec + o.decodeSec, c.lateSamples + o.lateSamples}
}

// scrapeIngest reads the ingest counters from a server's metrics listener
// (metricsURL: http://host:port).
func scrapeIngest(ctx context.Context, client *http.Client, metricsURL string) (ingestCounters, error) {
	var c ingestCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return c, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		// WebRTC participants' and phones' counters add up (a run has
		// one kind or the other).
		case `callrec_ingest_rtp_packets_total{kind="audio"}`, "callrec_sip_rtp_packets_total":
			c.received += v
		case "callrec_ingest_rtp_packets_lost_total", "callrec_sip_rtp_packets_lost_total":
			c.lost += v
		case "callrec_ingest_rtp_packets_late_total", "callrec_sip_rtp_packets_late_total":
			c.late += v
		case "callrec_ingest_concealed_frames_total", "callrec_sip_concealed_frames_total":
			c.concealed += v
		case "callrec_ingest_decode_seconds_sum":
			c.decodeSec = v
		case "callrec_recorder_late_samples_total":
			c.lateSamples = v
		}
	}
	return c, sc.Err()
}
