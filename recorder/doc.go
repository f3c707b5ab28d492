// Package recorder turns a call's live, decoded media into recorded WAV
// files (or MP3, for mixed recordings of format mp3, or a composite MP4 of
// audio and video for mixed audioVideo recordings, docs/video.md): one owner goroutine per live recording places every participant's
// frames on the recording's timeline, mixes or separates them into channels,
// honours pauses, rolls over into chunks, and publishes each finished chunk
// with its metadata document to a blob store. Engine implements
// callrec.RecordingEngine and callrec.ContentStore.
//
// # Timeline
//
// The call-clock position that MediaSource.Subscribe reports at Start is
// sample 0 of the recording. A frame at position Pos lands at Pos−start,
// minus the spans cut by pauses. Frames are accumulated in a window of
// Config.Window (default 4 s) ahead of the commit point; the commit point
// follows the call clock (derived from Config.Clock) Config.Lateness (default
// the media budget's MaxDelay, 450 ms: the publishers' reorder window at its
// largest plus scheduling slack on a loaded host; see callmedia.Budget)
// behind it, so frames may arrive that late and out of order across
// participants. A frame for a position already committed, or already received
// from that participant (a duplicate), is dropped and counted in Stats. A
// frame beyond the window moves the commit point forward; positions nobody
// sent are silence. Every channel ends at the same sample: Stop commits up to
// the call-clock position of the stop.
//
// # Channels
//
// Mixed recordings have one channel: the saturating sum of everyone
// (accumulated in int32, clipped once). Unmixed recordings have
// Config.MaxUnmixedChannels channels (default 5, ACS's limit) whatever the
// number of participants, because a WAV file cannot grow channels. Channels
// are assigned as follows: channelAffinity pins first; then the participants
// of audioChannelParticipantOrdering take the lowest unpinned channels in
// that order (reserved even before they join); everyone else takes the lowest
// free channel in join order: participants already in the call when the
// recording starts take theirs at the start, in the order they joined the
// call (MediaSubscription.Present), later ones at their join event or first
// frame, whichever comes first. A participant keeps its channel for the
// whole recording, across leave and rejoin, chunks and service restarts.
//
// Beyond the limit (more participants than channels): the extra participants
// are mixed, with saturation, into the last channel, together with whoever
// holds it. Their audio is never dropped, and the metadata document lists
// them with that channel and "sharedChannel": true (a callrec extension).
//
// # Pause
//
// A pause cuts the paused call-clock span from the file (ACS behaviour) or,
// with pauseBehavior "silence", keeps it as silence. pauseOnStart starts
// paused. Each pause is listed in pauseResumeIntervals of the chunk that was
// open when it began.
//
// # Chunks
//
// A chunk ends at Config.ChunkMaxDuration (default 4 h; end reason
// chunkMaximumTimeExceeded) or when its data would pass Config.ChunkMaxBytes
// (default 4 000 000 000 bytes, below the 4 GiB RIFF limit;
// chunkMaximumSizeExceeded), whichever is less; the last chunk takes Stop's
// end reason. Each chunk has a document id (0-loc-d1-<32 hex>), its WAV in
// the blob store under "<documentId>/audio.wav" (an MP3 under
// "<documentId>/audio.mp3", served as audio/mpeg) and its metadata document
// (ACS's schema plus "sha256" of the file, docs/acs-compatibility.md) under
// "<documentId>/acsmetadata.json". audioConfiguration.bitRate is
// 256000 × channels (16 kHz × 16 bit per channel) for WAV and 48000 for MP3,
// in bits per second. An MP3 chunk's size limit counts 6000 bytes a second.
//
// # Durability and crash recovery
//
// While recording, the current chunk is written as a WAV (or MP3) file to
// the spool directory (<DataDir>/spool/<recording>/chunk-<index>.wav or
// .mp3), committed every (Durability−Lateness)/2 and synced right after
// by the engine's syncer, off the recordings' goroutines: a file alone with
// fdatasync, two or more committed meanwhile with one syncfs of the spool's
// file system (one device flush for all); as the commit point trails the
// clock by Lateness, audio is on disk about (Durability+Lateness)/2 after it
// was spoken, below Durability (default 1 s; with the defaults, 725 ms, plus
// the syncer's round when the disk is slow). Recordings take the commit
// grid's four phases in turn, so a quarter of them commits at a time.
// A JSON journal beside it holds the recording, its timeline origin, pauses,
// channel assignments and chunks, rewritten atomically on every change.
//
// After a crash (kill -9), Recover finalizes every leftover chunk into a
// valid WAV, or an MP3 cut after its last whole frame and without its Info
// tag (container/mp3), (end reason serviceRestarted), uploads it (see
// Uploads) and reports the recordings it found; Start on such a recording does the same and continues
// with the next chunk index; Stop on a recovered, not restarted recording
// returns all its chunks.
//
// # Uploads
//
// A chunk that ends (rollover, Stop, full disk, or left by a previous
// process) is sealed: its file made valid, its SHA-256, duration and
// metadata document computed, the document written beside it in the spool
// and the chunk recorded as sealed in the journal. An upload job (one
// goroutine per chunk, owned by the engine) then stores the audio and the
// metadata document in Config.Blob and only then moves the chunk from
// Pending to Chunks and removes its spool files; a failed attempt is
// retried after Config.UploadRetryMin, doubling up to UploadRetryMax, until
// it succeeds or the engine closes. Recover and Start resume the uploads a
// previous process left. Stop returns once every chunk is sealed and its
// upload tried once: when all are stored the spool is removed; otherwise the
// recording is Unstored, and when its last upload succeeds it is reported
// on Stored, for the service to record its chunks, send its file event and
// Release its spool. Meanwhile OpenContent serves a sealed chunk (and its
// metadata document) from the spool when the store does not have it.
//
// # Staged parts and adoption
//
// With Config.UploadInterval, the live chunk's new bytes are uploaded as
// staged parts beside a copy of the journal (stage.go): each recording at
// its own point of the interval, a bounded number at once. Adopt, on another
// engine sharing the store, rebuilds a spool from them when the engine that
// wrote them is gone for good; Stop then finalizes it as a recovered one.
//
// # Full disk
//
// A write that fails for want of space (ENOSPC, EDQUOT) ends the recording:
// the chunk being written keeps the samples that reached the disk (made a
// valid WAV when published) with end reason storageFull, it is published,
// and the recording is reported on Engine.Ended for the service to stop it.
// Pause and resume then answer StorageFull; Stop succeeds with the chunks.
// A space reserve (Config.ReserveBytes in DataDir/space-reserve), removed at
// that moment, leaves room for the journal, the metadata document and the
// database's commit of the stop; it is made again when a recording starts
// with room for it. Chunks are published with blob.FileStore where the store
// has it (a hard link into a local bucket), so publishing needs no room for
// a copy.
package recorder
