package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/callautomation"
)

// connectionStringEnv names the variable client commands read the
// connection string from when --connection-string is not given.
const connectionStringEnv = "CALLREC_CONNECTION_STRING"

// caEnv names the variable client commands read --ca from.
const caEnv = "CALLREC_CA"

// clientFlags are the flags every client command group shares.
type clientFlags struct {
	connectionString string
	apiVersion       string
	ca               string
}

// addClientFlags adds --connection-string, --api-version and --ca to cmd
// and its subcommands.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	f := &clientFlags{}
	cmd.PersistentFlags().StringVar(&f.connectionString, "connection-string", "",
		"endpoint=https://host/;accesskey=KEY (default $"+connectionStringEnv+")")
	cmd.PersistentFlags().StringVar(&f.apiVersion, "api-version", callautomation.DefaultAPIVersion,
		"api-version sent on ACS routes")
	addCAFlag(cmd.PersistentFlags().StringVar, &f.ca)
	return f
}

// addCAFlag adds --ca through the given flag set's StringVar.
func addCAFlag(stringVar func(p *string, name, value, usage string), p *string) {
	stringVar(p, "ca", "", "PEM `file` of a CA to trust besides the system's, such as DATA/tls/ca.pem "+
		"of a server run with --tls-self-signed (default $"+caEnv+")")
}

// client makes an SDK client from the flags or the environment.
func (f *clientFlags) client() (*callautomation.Client, error) {
	cs := f.connectionString
	if cs == "" {
		cs = os.Getenv(connectionStringEnv)
	}
	if cs == "" {
		return nil, errors.New("no connection string: pass --connection-string or set " + connectionStringEnv)
	}
	hc, err := httpClient(f.ca, 0)
	if err != nil {
		return nil, err
	}
	return callautomation.NewCallAutomationClient(cs, &callautomation.ClientOptions{
		HTTPClient: hc,
		APIVersion: f.apiVersion,
		UserAgent:  "callrec-cli",
	})
}

// httpClient is the HTTP client of client commands: it trusts the CA in
// caFile (or $CALLREC_CA) besides the system's, follows no redirects (a
// signature covers one path), and waits at most 5 minutes for an answer's
// headers (a stop finalizes files before it answers). timeout, if not 0,
// bounds each whole request.
func httpClient(caFile string, timeout time.Duration) (*http.Client, error) {
	if caFile == "" {
		caFile = os.Getenv(caEnv)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 5 * time.Minute
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca: %s holds no PEM certificate", caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
