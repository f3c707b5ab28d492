package blob_test

import (
	"testing"

	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/blob/storetest"
)

func TestDirBucketConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) blob.Store {
		b, err := blob.OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
}
