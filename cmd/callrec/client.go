package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/callautomation"
)

// connectionStringEnv names the variable client commands read the
// connection string from when --connection-string is not given.
const connectionStringEnv = "CALLREC_CONNECTION_STRING"

// clientFlags are the flags every client command group shares.
type clientFlags struct {
	connectionString string
	apiVersion       string
}

// addClientFlags adds --connection-string and --api-version to cmd and its
// subcommands.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	f := &clientFlags{}
	cmd.PersistentFlags().StringVar(&f.connectionString, "connection-string", "",
		"endpoint=https://host/;accesskey=KEY (default $"+connectionStringEnv+")")
	cmd.PersistentFlags().StringVar(&f.apiVersion, "api-version", callautomation.DefaultAPIVersion,
		"api-version sent on ACS routes")
	return f
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
	return callautomation.NewCallAutomationClient(cs, &callautomation.ClientOptions{
		APIVersion: f.apiVersion,
		UserAgent:  "callrec-cli",
	})
}
