package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError is a command used wrongly: an unknown command or flag, or
// arguments the command does not take. main exits 2 for it, 1 for other
// failures.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// strictUsage makes every command of the tree under root report misuse as
// a usageError: flag errors, argument errors, and, on a command that only
// groups others, an unknown subcommand (cobra would print the help and
// succeed), and missing required flags. A group run alone prints its help.
func strictUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd, err}
	})
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
			cmd.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return &usageError{cmd, fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
				}
				return nil
			}
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			return
		}
		check := cmd.Args
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if check != nil {
				if err := check(cmd, args); err != nil {
					return &usageError{cmd, err}
				}
			}
			// cobra checks required flags after the arguments, with an
			// error of no type of its own: check them here first.
			var missing []string
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if req := f.Annotations[cobra.BashCompOneRequiredFlag]; len(req) > 0 && req[0] == "true" && !f.Changed {
					missing = append(missing, f.Name)
				}
			})
			if len(missing) > 0 {
				return &usageError{cmd, fmt.Errorf(`required flag(s) "%s" not set`, strings.Join(missing, `", "`))}
			}
			return nil
		}
	}
	walk(root)
	root.SetHelpCommand(newHelpCmd(root))
}

// newHelpCmd is `callrec help [command]`: cobra's own prints "Unknown help
// topic" and succeeds; this one reports an unknown topic as misuse.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return &usageError{root, fmt.Errorf("unknown help topic %q", strings.Join(args, " "))}
			}
			return target.Help()
		},
	}
}
