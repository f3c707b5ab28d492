package recorder_test

import (
	"os"
	"testing"

	"github.com/callrec/callrec/internal/s3test"
)

// TestMain stops the S3 server that the upload tests started.
func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
