package blob_test

import (
	"os"
	"testing"

	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/s3test"
)

// TestMain stops the S3 server and Azurite that the tests started.
func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	azuritetest.Stop()
	os.Exit(code)
}
