package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/callrec/callrec/callautomation"
)

// newRecordingCmd is `callrec recording`: the ACS recording operations
// through the Go SDK.
func newRecordingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recording",
		Short: "Start, pause, resume, stop and list recordings; download and delete their files",
	}
	flags := addClientFlags(cmd)
	cmd.AddCommand(
		newRecordingStartCmd(flags),
		newRecordingStateCmd(flags),
		newRecordingActionCmd(flags, "pause", "Pause a recording", (*callautomation.CallRecording).Pause),
		newRecordingActionCmd(flags, "resume", "Resume a paused recording", (*callautomation.CallRecording).Resume),
		newRecordingActionCmd(flags, "stop", "Stop a recording; its files are finalized", (*callautomation.CallRecording).Stop),
		newRecordingResultCmd(flags),
		newRecordingListCmd(flags),
		newRecordingDownloadCmd(flags),
		newRecordingDeleteCmd(flags),
	)
	return cmd
}

func newRecordingStartCmd(flags *clientFlags) *cobra.Command {
	var (
		callID, content, channel, format, callback, pauseBehavior, repeatabilityID string
		affinity, order                                                            []string
		pauseOnStart                                                               bool
	)
	cmd := &cobra.Command{
		Use:   "start --call SERVER_CALL_ID",
		Short: "Start recording a call and print the recordingId",
		Long: `Start recording a call and print the recordingId.

With no --content, --channel or --format, the server records as ACS does: a
mixed audioVideo MP4 (1920x1080 at 16 fps, the most active speakers in a 3x3
grid, 16 kHz AAC), unless it was started with --default-format wav or mp3.
Audio is recorded as WAV (mixed into one channel, or unmixed with one channel
per participant) or MP3 (mixed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := callautomation.StartRecordingOptions{
				CallLocator:               callautomation.ServerCallLocator{ID: callID},
				RecordingStateCallbackURI: callback,
				RecordingContent:          callautomation.RecordingContent(content),
				RecordingChannel:          callautomation.RecordingChannel(channel),
				RecordingFormat:           callautomation.RecordingFormat(format),
				PauseBehavior:             callautomation.PauseBehavior(pauseBehavior),
				RepeatabilityRequestID:    repeatabilityID,
			}
			if cmd.Flags().Changed("pause-on-start") {
				opts.PauseOnStart = &pauseOnStart
			}
			for _, raw := range order {
				opts.AudioChannelParticipantOrdering = append(opts.AudioChannelParticipantOrdering, callautomation.IdentifierFromRawID(raw))
			}
			for _, a := range affinity {
				ca, err := parseAffinity(a)
				if err != nil {
					return err
				}
				opts.ChannelAffinity = append(opts.ChannelAffinity, ca)
			}
			c, err := flags.client()
			if err != nil {
				return err
			}
			res, err := c.CallRecording().Start(cmd.Context(), opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), res.RecordingID)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&callID, "call", "", "serverCallId of the call to record (required)")
	// The help offers what the server records (other values still reach the
	// server, which answers 400 saying so).
	f.StringVar(&content, "content", "", "audio or audioVideo (with --format mp4; the server's default when nothing is named)")
	f.StringVar(&channel, "channel", "", "mixed (the default: one channel) or unmixed (one channel per participant; wav only)")
	f.StringVar(&format, "format", "", "wav, mp3 (mixed: 16 kHz mono, 48 kbps, as ACS) or mp4 (audioVideo, mixed); default: the server's")
	completeValues(cmd, "content", "audio", "audioVideo")
	completeValues(cmd, "channel", "mixed", "unmixed")
	completeValues(cmd, "format", "wav", "mp3", "mp4")
	completeValues(cmd, "pause-behavior", "cut", "silence")
	f.StringArrayVar(&affinity, "affinity", nil, "CHANNEL=RAWID: pin a participant to an unmixed channel (repeatable)")
	f.StringArrayVar(&order, "order", nil, "RAWID: next participant in channel assignment order (repeatable)")
	f.StringVar(&callback, "callback", "", "URL that receives RecordingStateChanged events")
	f.BoolVar(&pauseOnStart, "pause-on-start", false, "start the recording paused")
	f.StringVar(&pauseBehavior, "pause-behavior", "", "cut (paused spans removed) or silence (kept as silence)")
	f.StringVar(&repeatabilityID, "repeatability-id", "", "idempotency key: the same key returns the same recording (default: a new UUID)")
	_ = cmd.MarkFlagRequired("call")
	return cmd
}

// parseAffinity parses CHANNEL=RAWID.
func parseAffinity(s string) (callautomation.ChannelAffinity, error) {
	ch, raw, ok := strings.Cut(s, "=")
	n, err := strconv.Atoi(ch)
	if !ok || err != nil || raw == "" {
		return callautomation.ChannelAffinity{}, fmt.Errorf("--affinity %q: want CHANNEL=RAWID, such as 0=8:acs:res_guid", s)
	}
	return callautomation.NewChannelAffinity(callautomation.IdentifierFromRawID(raw), n), nil
}

func newRecordingStateCmd(flags *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "state RECORDING_ID",
		Short: "Print a recording's state (active, inactive or stopped)",
		Long: `Print a recording's state: active, inactive (paused) or stopped.

ACS's state route answers 404 for a stopped recording, and so does the
server's; this command then asks for the recording's result, and prints
stopped if the recording exists.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			st, err := recordingState(cmd.Context(), c.CallRecording(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), st.RecordingState)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print recordingId, recordingState and recordingKind as JSON")
	return cmd
}

// recordingState is GetState, or state stopped when GetState answers 404
// and the recording's result says it ended.
func recordingState(ctx context.Context, rec *callautomation.CallRecording, id string) (*callautomation.RecordingStateResult, error) {
	st, err := rec.GetState(ctx, id)
	var re *callautomation.ResponseError
	if err == nil || !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		return st, err
	}
	res, rerr := rec.Result(ctx, id)
	if rerr != nil || res.SessionEndReason == "" || res.SessionEndReason == "sessionStillOngoing" {
		return nil, err // unknown: the state route's 404
	}
	return &callautomation.RecordingStateResult{
		RecordingID:    id,
		RecordingState: callautomation.RecordingStateStopped,
		RecordingKind:  callautomation.RecordingKindAzureCommunicationServices,
	}, nil
}

func newRecordingActionCmd(flags *clientFlags, name, short string,
	action func(*callautomation.CallRecording, context.Context, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   name + " RECORDING_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return action(c.CallRecording(), cmd.Context(), args[0])
		},
	}
}

func newRecordingResultCmd(flags *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "result RECORDING_ID",
		Short: "Print a recording's files (chunks and their URLs) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			res, err := c.CallRecording().Result(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), res)
		},
	}
}

func newRecordingDownloadCmd(flags *clientFlags) *cobra.Command {
	var (
		output         string
		offset, length int64
	)
	cmd := &cobra.Command{
		Use:   "download RECORDING_ID -o DIR | download CONTENT_URL [-o FILE]",
		Short: "Download every file of a recording into a directory, or one file by its URL",
		Long: `Download a recording's files.

With a recording id, every chunk of the stopped recording, media and
metadata, is written into DIR (created if missing) as
chunk-<index>-<documentId>.wav (.mp3 for MP3 recordings) and
chunk-<index>-<documentId>.metadata.json, and each path is printed. Chunks whose files were deleted are skipped, with a
note on stderr.

With a URL (a chunk's contentLocation or metadataLocation, as "recording
result" prints them) that one file is written to stdout or to FILE; --offset
and --length download part of it.`,
		Example: `  callrec recording download "$REC" -o ./recordings
  callrec recording download -o call.wav "$(callrec recording result "$REC" | jq -r '.recordingStorageInfo.recordingChunks[0].contentLocation')"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			ranged := cmd.Flags().Changed("offset") || cmd.Flags().Changed("length")
			if !isURL(args[0]) {
				if ranged {
					return &usageError{cmd, errors.New("--offset and --length download part of one file: give its URL, not a recording id")}
				}
				if output == "" || output == "-" {
					return &usageError{cmd, errors.New("downloading a recording by its id needs -o DIR, the directory to write its files into")}
				}
				return downloadRecording(cmd, c.CallRecording(), args[0], output)
			}
			var rng *callautomation.HTTPRange
			if ranged {
				rng = &callautomation.HTTPRange{Offset: offset, Length: length}
			}
			if output == "" || output == "-" {
				return download(cmd, c.CallRecording(), args[0], rng, cmd.OutOrStdout())
			}
			return downloadToFile(cmd, c.CallRecording(), args[0], rng, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "with a recording id: the directory to write into; with a URL: the file "+
		"(default stdout). Files are created with mode 0600, as recordings are private")
	cmd.Flags().Int64Var(&offset, "offset", 0, "first byte to download (URL only)")
	cmd.Flags().Int64Var(&length, "length", 0, "number of bytes to download (URL only; default: to the end)")
	return cmd
}

// isURL tells a content URL from a recording id (standard base64, which
// never holds "://").
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// downloadRecording writes every file of a recording into dir and prints
// their paths.
func downloadRecording(cmd *cobra.Command, rec *callautomation.CallRecording, id, dir string) error {
	res, err := rec.DownloadAll(cmd.Context(), id, dir)
	if res != nil {
		for _, f := range res.Files {
			fmt.Fprintln(cmd.OutOrStdout(), f.Path)
		}
		for _, c := range res.Deleted {
			fmt.Fprintf(cmd.ErrOrStderr(), "chunk %d (%s) was deleted on the server; skipped\n", c.Index, c.DocumentID)
		}
	}
	if err != nil {
		return err
	}
	if len(res.Files) == 0 {
		return fmt.Errorf("recording %s: every file was deleted on the server; nothing to download", id)
	}
	return nil
}

// downloadToFile downloads into a temporary file beside path and renames it
// into place once complete, so path never holds a partial download.
func downloadToFile(cmd *cobra.Command, rec *callautomation.CallRecording, url string, rng *callautomation.HTTPRange, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := download(cmd, rec, url, rng, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// download copies the file (or range) to w, with a progress bar on stderr
// when stderr is a terminal.
func download(cmd *cobra.Command, rec *callautomation.CallRecording, url string, rng *callautomation.HTTPRange, w io.Writer) error {
	ctx := cmd.Context()
	if rng == nil {
		bar := progressBar(cmd, -1)
		if bar != nil {
			w = io.MultiWriter(w, bar)
			defer bar.Finish()
		}
		_, err := rec.DownloadTo(ctx, url, w)
		return err
	}
	s, err := rec.OpenContent(ctx, url, rng)
	if err != nil {
		return err
	}
	defer s.Close()
	if bar := progressBar(cmd, s.ContentLength); bar != nil {
		w = io.MultiWriter(w, bar)
		defer bar.Finish()
	}
	if _, err := io.Copy(w, s); err != nil {
		return fmt.Errorf("downloading %s: %w", url, err)
	}
	return nil
}

// progressBar returns a byte progress bar on stderr if stderr is a terminal,
// else nil. total -1 means unknown.
func progressBar(cmd *cobra.Command, total int64) *progressbar.ProgressBar {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription("downloading"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

func newRecordingDeleteCmd(flags *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete DELETE_URL",
		Short: "Delete a recording's files through its deleteLocation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.CallRecording().Delete(cmd.Context(), args[0])
		},
	}
}
