// Package callmedia is callrec's call media core: the live media of every
// call, whatever transport brings it. It knows nothing of WebRTC, SIP or any
// other transport; they publish into it, and recorders read from it.
//
// Vocabulary:
//
//   - Hub: every live call's media, built first and handed to every
//     transport and to the recorder (as mediamtx's path manager is). It
//     implements callrec.MediaSource.
//   - call: one call's clock, its participants and its subscribers; it
//     exists while anyone uses it (a participant, a subscription, an attach
//     in progress) and is forgotten when nobody does.
//   - Clock: a call's clock. Positions count samples at callrec.SampleRate
//     from the moment the call's media started, on the monotonic clock.
//     Every frame and every participant event is placed on it, so that
//     participants line up to the sample whatever their transport.
//   - publisher: a transport's leg of one participant (a WHIP session
//     today; a SIP or SIPREC leg, a video track next). It calls Hub.Attach
//     with a Leg, the transport's handle to hang it up, and gets a
//     Participant.
//   - Participant: a publisher's handle into its call. The publisher pushes
//     decoded 20 ms frames (Push) and, if it carries video, whole encoded
//     pictures (PushVideo), reports mute and unmute, and leaves. Frames,
//     mute and leave come from one goroutine per participant (the
//     transport's), in order; Push and PushVideo neither lock nor allocate.
//     A Leg that carries video is a KeyframeRequester.
//   - subscriber: a callrec.MediaSubscriber (a live recording). Subscribe
//     tells it where the call clock is now and who is present, in join
//     order, then delivers every frame and event until it cancels.
//   - Framer and DriftTracker: what every transport's leg does the same
//     way: cut decoded audio into contiguous 20 ms frames at the cursor,
//     and follow a sender's clock drift one sample per packet.
//   - Budget: how late publishers may deliver a frame and how long
//     subscribers therefore wait. Publishers check their own delay against
//     it and subscribers their lateness, when they are built: the two sides
//     of the hub cannot drift apart silently.
//
// Ending a call (Hub.Hangup) disconnects every participant at once through
// their Legs; a call can also hold at most Config.MaxParticipants
// participants at a time.
package callmedia
