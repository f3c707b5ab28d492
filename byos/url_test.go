package byos_test

import (
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
)

func TestParseStart(t *testing.T) {
	for _, tc := range []struct {
		kind, url string
		want      string // normalized URL, "" for callrec's own storage
		code      string
	}{
		{"", "", "", ""},
		{"azureCommunicationServices", "", "", ""},
		{"AzureBlobStorage", "https://Contoso.blob.core.windows.net/recordings/", "https://contoso.blob.core.windows.net/recordings", ""},
		{"azureBlobStorage", "http://127.0.0.1:10000/devstoreaccount1/rec-01", "http://127.0.0.1:10000/devstoreaccount1/rec-01", ""},
		{"s3", "s3://my.recordings", "s3://my.recordings", ""},
		{"", "https://contoso.blob.core.windows.net/recordings", "", byos.CodeInvalidKind},
		{"gcs", "gs://x", "", byos.CodeInvalidKind},
		{"azureCommunicationServices", "https://contoso.blob.core.windows.net/recordings", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://contoso.blob.core.windows.net", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://contoso.blob.core.windows.net/a/b/c", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://contoso.blob.core.windows.net/ab", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://contoso.blob.core.windows.net/a--b", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://contoso.blob.core.windows.net/rec?sv=1&sig=2", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "https://user:pw@contoso.blob.core.windows.net/rec", "", byos.CodeInvalidContainerURL},
		{"azureBlobStorage", "s3://bucket", "", byos.CodeInvalidContainerURL},
		{"s3", "https://s3.amazonaws.com/bucket", "", byos.CodeInvalidContainerURL},
		{"s3", "s3://bucket/prefix", "", byos.CodeInvalidContainerURL},
		{"s3", "s3://B", "", byos.CodeInvalidContainerURL},
	} {
		es, err := byos.ParseStart(tc.kind, tc.url)
		if tc.code != "" {
			if callrec.CodeOf(err) != tc.code || callrec.KindOf(err) != callrec.KindInvalid {
				t.Errorf("%q %q: %v, want %s", tc.kind, tc.url, err, tc.code)
			}
			continue
		}
		got := ""
		if es != nil {
			got = es.ContainerURL
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %q: %q, %v; want %q", tc.kind, tc.url, got, err, tc.want)
		}
	}
}

func TestDestinations(t *testing.T) {
	d, err := byos.New([]byos.Destination{
		{ContainerURL: "https://contoso.blob.core.windows.net/recordings", AccountKey: "a2V5"},
		{ContainerURL: "s3://rec-bucket", AccessKeyID: "id", SecretAccessKey: "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	allowed := &callrec.ExternalStorage{Kind: callrec.StorageAzureBlob, ContainerURL: "https://contoso.blob.core.windows.net/recordings"}
	if err := d.Check(allowed); err != nil {
		t.Errorf("allowed: %v", err)
	}
	for _, es := range []callrec.ExternalStorage{
		{Kind: callrec.StorageAzureBlob, ContainerURL: "https://contoso.blob.core.windows.net/other"},
		{Kind: callrec.StorageAzureBlob, ContainerURL: "s3://rec-bucket"},
	} {
		if err := d.Check(&es); callrec.CodeOf(err) != byos.CodeNotAllowed {
			t.Errorf("%v: %v, want %s", es, err, byos.CodeNotAllowed)
		}
	}
	var none *byos.Destinations
	if err := none.Check(allowed); callrec.CodeOf(err) != byos.CodeNotSupported {
		t.Errorf("no destinations: %v, want %s", err, byos.CodeNotSupported)
	}
	for _, bad := range [][]byos.Destination{
		{{ContainerURL: "https://contoso.blob.core.windows.net/recordings"}},            // no credentials
		{{ContainerURL: "s3://rec-bucket", AccessKeyID: "id"}},                          // no secret
		{{ContainerURL: "https://contoso.blob.core.windows.net/x", AccountKey: "a2V5"}}, // not a container name
		{{ContainerURL: "s3://rec-bucket", AccessKeyID: "id", SecretAccessKey: "s"}, {ContainerURL: "S3://rec-bucket/", AccessKeyID: "id", SecretAccessKey: "s"}},
	} {
		if _, err := byos.New(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
