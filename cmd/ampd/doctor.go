package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/ampd-xmpp/ampd/doctor"
)

// doctorCommand is "ampd doctor": the checklist from the configuration to the server module,
// the first thing to run when something does not work. Exit status 0 only when all is well.
func doctorCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, the server connection, permissions and module; print the fixes",
		Long: "doctor connects to the XMPP server as ampd would and checks each link: the configuration,\n" +
			"TCP to the component port, the handshake, each host's XEP-0356 permissions and server\n" +
			"module, the store and the HTTP endpoint. Every failed check says what to change, for the\n" +
			"server family it finds. Run it while ampd is stopped: the server accepts one connection\n" +
			"per component.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := doctor.Run(cmd.Context(), path, doctor.Options{})
			r.Write(cmd.OutOrStdout())
			if !r.OK() {
				return errors.New("doctor: some checks failed")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "ampd.toml", "configuration file")
	return cmd
}
