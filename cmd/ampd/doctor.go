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
	var probe doctor.Probe
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, the server connection, permissions and module; print the fixes",
		Long: "doctor connects to the XMPP server as ampd would and checks each link: the configuration,\n" +
			"TCP to the component port, the handshake, each host's XEP-0356 permissions and server\n" +
			"module, the store and the HTTP endpoint. With --probe-jid and --probe-password it then logs\n" +
			"in as that client and checks what a user sees: the AMP stream feature, the disco#info\n" +
			"features, and an AMP message with a notify rule sent to itself. Every failed check says\n" +
			"what to change, for the server family it finds. Run it while ampd is stopped: the server\n" +
			"accepts one connection per component (beside a running ampd it reads its /status, and\n" +
			"the probe, only a client, goes through that ampd).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := doctor.Options{}
			switch {
			case probe.JID != "" && probe.Password == "":
				return errors.New("doctor: --probe-jid needs --probe-password")
			case probe.JID != "":
				o.Probe = &probe
			case probe.Password != "" || probe.Address != "" || probe.Insecure:
				return errors.New("doctor: the --probe-* flags need --probe-jid")
			}
			r := doctor.Run(cmd.Context(), path, o)
			r.Write(cmd.OutOrStdout())
			if !r.OK() {
				return errors.New("doctor: some checks failed")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "ampd.toml", "configuration file")
	cmd.Flags().StringVar(&probe.JID, "probe-jid", "", "a client account (user@host, on one of server.hosts) to log in with and send itself an AMP message")
	cmd.Flags().StringVar(&probe.Password, "probe-password", "", "the password of --probe-jid")
	cmd.Flags().StringVar(&probe.Address, "probe-address", "", "the server's client port host:port (default the component address's host, port 5222)")
	cmd.Flags().BoolVar(&probe.Insecure, "probe-insecure", false, "do not verify the server's TLS certificate (self-signed test servers only; the output says so)")
	return cmd
}
