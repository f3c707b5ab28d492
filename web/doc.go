// Package web holds callrec's embedded pages. The join page lets a person
// join a call from a browser: it captures the microphone, publishes it to
// callrec's WHIP endpoint with the join token from its URL, and shows the
// call, the participant, a live level meter, a Leave button and, polled from
// GET /calls/{id}/status with the same token, whether the call is being
// recorded.
package web
