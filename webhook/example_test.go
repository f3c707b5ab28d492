package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callrec/callrec/webhook"
)

// A receiver checks callrec-signature before trusting a delivery.
func ExampleVerifySignature() {
	const secret = "whsec_shared_with_callrec"
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if err := webhook.VerifySignature(r.Header.Get(webhook.SignatureHeader), secret, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized) // 401: callrec dead-letters, no retry
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	body := `[{"id":"9ec1f3a0","type":"Microsoft.Communication.RecordingStateChanged"}]`
	for _, key := range []string{secret, "wrong key"} {
		req := httptest.NewRequest(http.MethodPost, "/callbacks", strings.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.SignBody(key, time.Now(), []byte(body)))
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 200
	// 401
}
