package postgres

import (
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/pgtest"
)

// TestServerGoneIsUnavailable: with its server stopped, the store answers
// writes and reads with Unavailable (503: try again later), not an internal
// error.
func TestServerGoneIsUnavailable(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.StartServer(t)
	db, err := Open(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	err = db.CreateCall(ctx, &callrec.Call{ServerCallID: "c2", State: callrec.CallActive, CreatedAt: time.Now()})
	if callrec.KindOf(err) != callrec.KindUnavailable {
		t.Errorf("write with the server stopped: %v (kind %s), want unavailable", err, callrec.KindOf(err))
	}
	if _, err := db.Call(ctx, "c1"); callrec.KindOf(err) != callrec.KindUnavailable {
		t.Errorf("read with the server stopped: %v (kind %s), want unavailable", err, callrec.KindOf(err))
	}
}
