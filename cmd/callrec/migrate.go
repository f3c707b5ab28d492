package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/app"
)

// newMigrateCmd applies the state store's migrations and exits: what
// `serve` does at start, run on its own (before a rolling upgrade of
// several nodes sharing one PostgreSQL database).
func newMigrateCmd() *cobra.Command {
	var dataDir, database string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the state database's migrations (PostgreSQL with --database, else SQLite in --data)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The same environment as serve's (CALLREC_DATABASE, CALLREC_DATA).
			for name, v := range map[string]*string{"database": &database, "data": &dataDir} {
				if env, ok := os.LookupEnv("CALLREC_" + strings.ToUpper(name)); ok && !cmd.Flags().Changed(name) {
					*v = env
				}
			}
			db, err := app.OpenStore(cmd.Context(), database, dataDir)
			if err != nil {
				return err
			}
			if err := db.Close(); err != nil {
				return err
			}
			where := "the SQLite database in " + dataDir
			if database != "" {
				where = "the PostgreSQL database"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is up to date\n", where)
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "a postgres:// URL (default: SQLite in --data)")
	cmd.Flags().StringVar(&dataDir, "data", app.DefaultDataDir, "data directory whose SQLite database to migrate")
	return cmd
}
