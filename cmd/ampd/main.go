// Command ampd is XEP-0079 Advanced Message Processing for any XMPP server: a daemon that
// connects to the server as an external component (XEP-0114) and decides every AMP message
// the server module diverts to it.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:           "ampd",
		Short:         "XEP-0079 Advanced Message Processing for any XMPP server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCommand(), checkConfigCommand(), versionCommand())
	root.AddCommand(heldCommand(), doctorCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ampd:", err)
		os.Exit(1)
	}
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "ampd", version)
		},
	}
}
