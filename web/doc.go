// Package web holds callrec's embedded pages. The join page lets a person
// join a call from a browser: it captures the microphone, publishes it to
// callrec's WHIP endpoint with the join token from its URL, and shows the
// call, the participant, a live level meter and a Leave button.
package web
