// Command svgtrace traces images into SVG placeholders.
//
//	svgtrace trace [flags] FILE|DIR|-...   trace images to SVG (see svgtrace help trace)
//	svgtrace serve [flags]                 run the API server and its workers
//	svgtrace worker [flags]                run a trace worker
//	svgtrace version                       print the version
//
// serve and worker are run by the svgtrace-server executable, installed
// beside this one (make build) or on PATH: this command leaves the server's
// packages out so that it starts in a few milliseconds.
package main

import (
	"os"

	"github.com/svgtrace/svgtrace/backend/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSStdio(), nil))
}
