package byos_test

import (
	"os"
	"testing"

	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/s3test"
)

// TestMain stops the Azurite and S3 server the tests started.
func TestMain(m *testing.M) {
	code := m.Run()
	azuritetest.Stop()
	s3test.Stop()
	os.Exit(code)
}
