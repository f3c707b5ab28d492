package blob

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/s3blob"
)

// AzureContainer names an Azure Blob container by URL
// (https://<account>.blob.core.windows.net/<container>, or an emulator's
// http://host:port/<account>/<container>) with its credentials: an account
// key, or a SAS token. Unlike Open's azblob:// URLs, which take credentials
// from the environment, each container has its own.
type AzureContainer struct {
	URL string
	// AccountName and AccountKey sign requests with the account's shared
	// key; SASToken (the query of a SAS URL, without "?") is used instead
	// when set.
	AccountName, AccountKey string
	SASToken                string
}

// OpenAzureContainer opens an Azure Blob container with its own credentials.
func OpenAzureContainer(ctx context.Context, c AzureContainer) (*Bucket, error) {
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 1},
		// An emulator on loopback speaks http; the SDK refuses to send a
		// key over it otherwise.
		InsecureAllowCredentialWithHTTP: strings.HasPrefix(c.URL, "http://"),
	}}
	var (
		cl  *container.Client
		err error
	)
	switch {
	case c.SASToken != "":
		cl, err = container.NewClientWithNoCredential(c.URL+"?"+strings.TrimPrefix(c.SASToken, "?"), opts)
	case c.AccountKey != "":
		var cred *azblob.SharedKeyCredential
		if cred, err = azblob.NewSharedKeyCredential(c.AccountName, c.AccountKey); err == nil {
			cl, err = container.NewClientWithSharedKeyCredential(c.URL, cred, opts)
		}
	default:
		err = fmt.Errorf("no account key or SAS token")
	}
	if err != nil {
		return nil, fmt.Errorf("blob: container %s: %w", c.URL, err)
	}
	b, err := azureblob.OpenBucket(ctx, cl, nil)
	if err != nil {
		return nil, fmt.Errorf("blob: container %s: %w", c.URL, err)
	}
	return Wrap(b), nil
}

// S3Bucket names an S3 bucket with its own credentials: an access key
// pair, a region, and for S3 services other than AWS an endpoint
// (http(s)://host:port), usually with path-style addressing.
type S3Bucket struct {
	Bucket          string
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	UsePathStyle    bool
}

// OpenS3Bucket opens an S3 bucket with its own credentials.
func OpenS3Bucket(ctx context.Context, c S3Bucket) (*Bucket, error) {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, fmt.Errorf("blob: bucket %s: no access key", c.Bucket)
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	o := s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		UsePathStyle: c.UsePathStyle,
		// Checksums only when an operation requires them: S3 services
		// other than AWS may not know the newer ones.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		o.BaseEndpoint = aws.String(c.Endpoint)
	}
	b, err := s3blob.OpenBucket(ctx, s3.New(o), c.Bucket, nil)
	if err != nil {
		return nil, fmt.Errorf("blob: bucket %s: %w", c.Bucket, err)
	}
	return Wrap(b), nil
}
