package benchlive

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/jointoken"
)

// benchCall is one call of the run and its recording.
type benchCall struct {
	id          string
	recordingID string
	node        int // index of its node in the run's nodes
	ps          []*participant
	joinErr     error
}

// Run runs one live benchmark: calls × participants publishing over real
// WebRTC, calling in over SIP, or both, every call recorded, held for cfg.Hold, then every recording
// checked by content.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Calls: cfg.Calls, Unmixed: cfg.Unmixed, Transport: cfg.Transport, Video: cfg.Video}
	amp := toneAmplitude(cfg.Participants)
	switch {
	case cfg.Unmixed:
		amp = toneAmplitude(1)
	case cfg.Video: // room for each participant's beep on top of its tone
		amp = toneAmplitude(2 * cfg.Participants)
	}
	sources := make([]*clip, cfg.Participants)
	for k := range sources {
		newClip := toneClip
		switch {
		case cfg.phoneAt(k):
			newClip = phoneClip
		case cfg.Video:
			newClip = func(freq int, amp float64) (*clip, error) { return beepClip(freq, beepFrequency(k), amp) }
		}
		c, err := newClip(toneFrequency(k), amp)
		if err != nil {
			return nil, err
		}
		sources[k] = c
	}
	var videos []*videoClip
	if cfg.Video {
		fmt.Fprintf(cfg.Progress, "encoding %d synthetic videos (VP8, once)\n", cfg.Participants)
		var err error
		if videos, err = encodeVideos(ctx, cfg.Participants); err != nil {
			return nil, fmt.Errorf("synthetic video: %w", err)
		}
	}
	quiet, err := decodeFloor(sources, cfg.FloorRuns)
	if err != nil {
		return nil, fmt.Errorf("decode floor: %w", err)
	}

	nodes := []*benchNode{{connStr: cfg.ConnectionString, pid: cfg.ServerPID, metricsURL: cfg.MetricsURL, sipAddr: cfg.SIPAddr}}
	if cfg.ConnectionString == "" {
		work := cfg.WorkDir
		if work == "" {
			if work, err = os.MkdirTemp("", "callrec-bench-live-"); err != nil {
				return nil, err
			}
			defer os.RemoveAll(work)
		} else if err := os.MkdirAll(work, 0o750); err != nil {
			return nil, err
		}
		args := []string{"--max-unmixed-channels", strconv.Itoa(max(5, cfg.Participants))}
		if nodes, err = startNodes(ctx, cfg, work, args); err != nil {
			return nil, err
		}
		defer func() {
			for _, n := range nodes {
				n.srv.stop()
			}
		}()
	}
	res.ServerMeasured = nodes[0].pid != 0
	for _, n := range nodes {
		cs, err := hmacauth.ParseConnectionString(n.connStr)
		if err != nil {
			return nil, err
		}
		n.endpoint = cs.Endpoint.String()
	}
	// The application talks to the first node; with several, the calls it
	// creates are placed by cost, and participants join on their call's node.
	cs, err := hmacauth.ParseConnectionString(nodes[0].connStr)
	if err != nil {
		return nil, err
	}
	client, err := callautomation.NewCallAutomationClient(nodes[0].connStr, &callautomation.ClientOptions{Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	httpClient := &http.Client{Timeout: 60 * time.Second, Transport: transport}

	before, err := scrapeNodes(ctx, httpClient, nodes)
	if err != nil {
		return nil, err
	}
	if res.ServerMeasured {
		if res.ServerRSSBase, err = rssOf(nodes, cfg.Video); err != nil {
			return nil, err
		}
	}

	calls, err := startCalls(ctx, cfg, client, cs.Key, sources, videos, nodes)
	if err != nil {
		return nil, err
	}
	defer func() { // whatever happens, everyone leaves
		for _, c := range calls {
			for _, p := range c.ps {
				p.leave(httpClient)
			}
		}
	}()

	// Join every participant, JoinConcurrency at a time; each call starts
	// sending as soon as its participants are connected.
	paceCtx, stopPacing := context.WithCancel(ctx)
	defer stopPacing()
	pc := newPacer()
	senderLate := make(chan time.Duration, 1)
	go func() { senderLate <- pc.run(paceCtx) }()
	var joins sync.WaitGroup
	slots := make(chan struct{}, cfg.JoinConcurrency)
	joinStart := time.Now()
	fmt.Fprintf(cfg.Progress, "joining %d participants in %d calls\n", cfg.Calls*cfg.Participants, cfg.Calls)
	for _, c := range calls {
		joins.Go(func() {
			var callJoins sync.WaitGroup
			errs := make([]error, len(c.ps))
			for j, p := range c.ps {
				callJoins.Go(func() {
					slots <- struct{}{}
					defer func() { <-slots }()
					jctx, cancel := context.WithTimeout(ctx, 60*time.Second)
					defer cancel()
					n := nodes[c.node]
					join := func() error { return p.join(jctx, httpClient, n.endpoint, c.id) }
					if p.sip {
						join = func() error { return p.call(jctx, n.sipAddr, c.id) }
					}
					if err := join(); err != nil {
						errs[j] = fmt.Errorf("%s: %w", p.rawID, err)
					}
				})
			}
			callJoins.Wait()
			if c.joinErr = errors.Join(errs...); c.joinErr != nil {
				return
			}
			pc.add(c.ps)
		})
	}
	joins.Wait()
	res.ConnectAll = time.Since(joinStart)
	if len(nodes) > 1 {
		res.Nodes = make([]NodeResult, len(nodes))
		for i, n := range nodes {
			res.Nodes[i].ID = n.id
		}
	}
	for _, c := range calls {
		if res.Nodes != nil {
			res.Nodes[c.node].Calls++
		}
		if c.joinErr != nil {
			res.Problems = append(res.Problems, "join: "+c.joinErr.Error())
		} else {
			res.Participants += len(c.ps)
			for _, p := range c.ps {
				if p.sip {
					res.Phones++
				}
			}
			if res.Nodes != nil {
				res.Nodes[c.node].Participants += len(c.ps)
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	fmt.Fprintf(cfg.Progress, "%d participants connected in %s; warming up %s, holding %s\n",
		res.Participants, res.ConnectAll.Round(time.Millisecond), cfg.Warmup, cfg.Hold)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return nil, err
	}

	if err := hold(ctx, cfg, res, calls, nodes, sources); err != nil {
		return nil, err
	}
	if res.Nodes != nil { // everyone still in the calls: the load is theirs
		if err := readRegistry(ctx, cfg.Database, nodes, res.Nodes); err != nil {
			res.Problems = append(res.Problems, "reading the node registry: "+err.Error())
		}
	}

	stopPacing()
	res.SenderMaxLate = <-senderLate
	for _, c := range calls {
		held := c.joinErr == nil
		for _, p := range c.ps {
			res.Sent += int64(p.sent)
			res.KeyframeRequests += p.keyRequests
			if p.sendErrs > 0 || !p.joined() {
				held = false
			}
		}
		if held {
			res.CallsHeld++
		}
	}
	// Let packets still queued reach the server before everyone leaves.
	if err := sleep(ctx, 500*time.Millisecond+res.DelayMax); err != nil {
		return nil, err
	}
	leaveAll(calls, httpClient)
	for _, c := range calls {
		if err := client.CallRecording().Stop(ctx, c.recordingID); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("stop %s: %v", c.recordingID, err))
		}
	}
	after, err := scrapeNodes(ctx, httpClient, nodes)
	if err != nil {
		return nil, err
	}
	d := after.minus(before)
	res.Received, res.Lost, res.Late, res.Concealed = int64(d.received), int64(d.lost), int64(d.late), int64(d.concealed)
	res.LateAudio = time.Duration(d.lateSamples * float64(time.Second) / callrec.SampleRate)
	if res.Sent > 0 {
		missing := max(res.Sent-res.Received, res.Lost, 0)
		res.LossPct = 100 * float64(missing) / float64(res.Sent)
	}

	fmt.Fprintf(cfg.Progress, "checking %d recordings\n", len(calls))
	if cfg.Video {
		checkComposites(ctx, client.CallRecording(), calls, amp, res)
	} else {
		checkRecordings(ctx, client.CallRecording(), calls, amp, res)
	}
	// The quiet floor again, now that the machine has warmed up and the
	// calls are over.
	if again, err := decodeFloor(sources, cfg.FloorRuns); err == nil {
		quiet = append(quiet, again...)
	}
	slices.Sort(quiet)
	res.FloorQuietRuns = quiet
	res.FloorPerParticipantMin = quiet[0]
	return res, nil
}

// startCalls creates the calls and starts a recording of each, before
// anyone joins.
func startCalls(ctx context.Context, cfg Config, client *callautomation.Client, key []byte, sources []*clip, videos []*videoClip, nodes []*benchNode) ([]*benchCall, error) {
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	channel := callautomation.RecordingChannelMixed
	if cfg.Unmixed {
		channel = callautomation.RecordingChannelUnmixed
	}
	calls := make([]*benchCall, cfg.Calls)
	for i := range calls {
		call, err := client.Calls().Create(ctx, fmt.Sprintf("bench-%s-%d", run, i))
		if err != nil {
			return nil, fmt.Errorf("create call: %w", err)
		}
		opts := callautomation.StartRecordingOptions{
			CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
			RecordingContent: callautomation.RecordingContentAudio,
			RecordingChannel: channel,
			RecordingFormat:  callautomation.RecordingFormatWav,
		}
		if cfg.Video {
			opts.RecordingContent, opts.RecordingFormat = callautomation.RecordingContentAudioVideo, callautomation.RecordingFormatMp4
		}
		st, err := client.CallRecording().Start(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("start recording: %w", err)
		}
		c := &benchCall{id: call.ServerCallID, recordingID: st.RecordingID}
		if len(nodes) > 1 { // the node placement chose
			got, err := client.Calls().Get(ctx, call.ServerCallID)
			if err != nil {
				return nil, fmt.Errorf("read call: %w", err)
			}
			c.node = nodeIndex(nodes, got.Node)
		}
		for k := range cfg.Participants {
			raw := fmt.Sprintf("8:acs:bench-%d-%d", i, k)
			if cfg.phoneAt(k) { // a phone number of its own
				raw = fmt.Sprintf("4:+1%07d%02d", i, k)
			}
			token, _ := jointoken.Mint(key, c.id, raw, cfg.Warmup+cfg.Hold+time.Hour, time.Now())
			h := fnv.New64a()
			h.Write([]byte(c.id + raw))
			seed := h.Sum64()
			p := &participant{rawID: raw, sip: cfg.phoneAt(k), freq: toneFrequency(k), clip: sources[k], token: token,
				seq0: uint16(seed >> 16), ts0: uint32(seed >> 32), k: k}
			if videos != nil {
				p.video, p.beepHz = videos[k], beepFrequency(k)
				p.vseq0, p.vts0 = uint16(seed>>8), uint32(seed)
			}
			c.ps = append(c.ps, p)
		}
		calls[i] = c
	}
	return calls, nil
}

// hold is the measurement window: CPU of both processes, the server's
// peak memory, and the delay of every packet.
func hold(ctx context.Context, cfg Config, res *Result, calls []*benchCall, nodes []*benchNode, sources []*clip) error {
	cpu0 := make([]time.Duration, len(nodes))
	cpuOf := procCPU
	if cfg.Video { // the server's media children work for the recordings
		cpuOf = procTreeCPU
	}
	if res.ServerMeasured {
		for i, n := range nodes {
			var err error
			if cpu0[i], err = cpuOf(n.pid); err != nil {
				return err
			}
		}
	}
	// The server's decode counters are scraped at the edges of the window.
	client := &http.Client{Timeout: 10 * time.Second}
	m0, m0err := scrapeNodes(ctx, client, nodes)
	self0 := selfCPU()
	busy0, total0, cpuErr := cpuTimes()
	t0 := time.Now()
	floorCtx, stopFloor := context.WithCancel(ctx)
	defer stopFloor()
	floorSamples := sampleFloor(floorCtx, sources, cfg.Hold)
	for _, c := range calls {
		for _, p := range c.ps {
			if p.probe != nil {
				p.probe.setRecording(true)
			}
		}
	}
	for end := t0.Add(cfg.Hold); ; {
		if res.ServerMeasured {
			if rss, err := rssOf(nodes, cfg.Video); err == nil {
				res.ServerRSSPeak = max(res.ServerRSSPeak, rss)
			}
		}
		left := time.Until(end)
		if left <= 0 {
			break
		}
		if err := sleep(ctx, min(left, time.Second)); err != nil {
			return err
		}
	}
	// The floor's last slice ends about when the window does.
	wf := <-floorSamples
	res.FloorWindowSlices = wf.slices
	if len(wf.slices) > 0 {
		res.FloorWindow = wf.slices[len(wf.slices)/2]
	}
	res.Window = time.Since(t0)
	res.SimulatorCPU = selfCPU() - self0 - wf.cpu
	res.Cores, res.LoadAvg = runtime.NumCPU(), loadAverage()
	if busy1, total1, err := cpuTimes(); err == nil && cpuErr == nil && total1 > total0 {
		res.MachineBusy = float64(busy1-busy0) / float64(total1-total0)
	}
	if res.ServerMeasured {
		for i, n := range nodes {
			cpu, err := cpuOf(n.pid)
			if err != nil {
				return err
			}
			res.ServerCPU += cpu - cpu0[i]
			if len(nodes) > 1 {
				nr := &res.Nodes[i]
				nr.CPU = cpu - cpu0[i]
				if nr.Participants > 0 {
					nr.CPUPerParticipantMin = time.Duration(float64(nr.CPU) / (float64(nr.Participants) * res.Window.Minutes()))
				}
			}
		}
		if res.Participants > 0 {
			res.CPUPerParticipantMin = time.Duration(float64(res.ServerCPU) / (float64(res.Participants) * res.Window.Minutes()))
		}
		// Opus decode is the browsers' alone.
		if m1, err := scrapeNodes(ctx, client, nodes); err == nil && m0err == nil && res.Participants > res.Phones {
			perMin := m1.minus(m0).decodeSec / (float64(res.Participants-res.Phones) * res.Window.Minutes())
			res.ServerDecodePerParticipantMin = time.Duration(perMin * float64(time.Second))
		}
		if res.Calls > 0 {
			res.MemPerCall = max(res.ServerRSSPeak-res.ServerRSSBase, 0) / int64(res.Calls)
		}
	}
	// Feedback for the window's last packets comes at most 250 ms apart
	// (rtcrecv's pacing for Opus alone), plus a poll.
	if err := sleep(ctx, 350*time.Millisecond); err != nil {
		return err
	}
	var all []int64
	for _, c := range calls {
		for _, p := range c.ps {
			if p.probe != nil {
				p.probe.setRecording(false)
				all = append(all, p.probe.queueing()...)
			}
		}
	}
	s := sortedCopy(all)
	res.DelaySamples = len(s)
	res.DelayP50 = time.Duration(percentile(s, 0.50)) * time.Microsecond
	res.DelayP99 = time.Duration(percentile(s, 0.99)) * time.Microsecond
	if len(s) > 0 {
		res.DelayMax = time.Duration(s[len(s)-1]) * time.Microsecond
	}
	return nil
}

func leaveAll(calls []*benchCall, client *http.Client) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 20)
	for _, c := range calls {
		for _, p := range c.ps {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				p.leave(client)
			})
		}
	}
	wg.Wait()
}

// checkRecordings downloads and checks every recording, two at a time.
func checkRecordings(ctx context.Context, rec *callautomation.CallRecording, calls []*benchCall, amp float64, res *Result) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2)
	for _, c := range calls {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			var problem string
			var clickAt []string
			clicks, gaps := 0, 0
			channels, err := fetchRecording(ctx, rec, c.recordingID)
			if err != nil {
				problem = err.Error()
			} else {
				chk := checkTracks(channels, c.ps, amp)
				clicks, gaps = chk.Clicks, chk.Gaps
				for _, t := range chk.Tracks {
					for _, at := range t.ClickAt {
						clickAt = append(clickAt, fmt.Sprintf("call %s, %s (%d Hz) at %.4f s", c.id, t.Participant, t.Freq, at.Seconds()))
					}
				}
				if !chk.intact() {
					problem = fmt.Sprintf("call %s: %s", c.id, chk.Problem)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Recordings++
			res.Clicks += clicks
			res.Gaps += gaps
			res.ClickAt = append(res.ClickAt, clickAt...)
			if res.Nodes != nil {
				res.Nodes[c.node].Recordings++
			}
			if problem == "" {
				res.Intact++
				if res.Nodes != nil {
					res.Nodes[c.node].Intact++
				}
			} else {
				res.Problems = append(res.Problems, problem)
			}
		})
	}
	wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
