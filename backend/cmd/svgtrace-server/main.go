// Command svgtrace-server is the svgtrace command with the server linked
// in: svgtrace serve and svgtrace worker run it (see package cli), and it
// runs every other subcommand as svgtrace does.
//
//	svgtrace-server serve [flags]    run the API server and its worker processes
//	svgtrace-server worker [flags]   run a trace worker
package main

import (
	"os"

	"github.com/svgtrace/svgtrace/backend/cli"
	"github.com/svgtrace/svgtrace/backend/cli/servercmd"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSStdio(), servercmd.Run))
}
