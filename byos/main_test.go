package byos_test

import (
	"os"
	"testing"

	"github.com/callrec/callrec/internal/azuritetest"
)

// TestMain stops the Azurite the tests started.
func TestMain(m *testing.M) { os.Exit(azuritetest.Main(m)) }
