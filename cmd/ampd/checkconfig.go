package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ampd-xmpp/ampd/config"
)

func checkConfigCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Validate a configuration file and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			f, err := cfg.Features()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (component %s at %s, hosts %v, %d AMP features)\n",
				path, cfg.Component.Domain, cfg.Component.Address, cfg.Server.Hosts, len(f.Disco()))
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "ampd.toml", "configuration file")
	return cmd
}
