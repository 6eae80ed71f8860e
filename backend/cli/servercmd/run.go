package servercmd

import (
	"fmt"
	"io"

	"github.com/svgtrace/svgtrace/backend/cli"
)

// Exit statuses, package cli's.
const (
	exitOK    = cli.ExitOK
	exitFail  = cli.ExitFail
	exitUsage = cli.ExitUsage
)

// Run runs the subcommand cmd, "serve" or "worker", with its arguments
// (after the subcommand's name), and returns its exit status: a cli.Service.
func Run(cmd string, args []string, stdio cli.Stdio) int {
	e := &env{stdout: stdio.Stdout, stderr: stdio.Stderr, getenv: stdio.Getenv}
	switch cmd {
	case "serve":
		return e.runServe(args)
	case "worker":
		return e.runWorker(args)
	}
	fmt.Fprintf(e.stderr, "svgtrace: unknown command %q\n", cmd)
	return exitUsage
}

// env is what a service runs in: its output streams and its environment
// (os.Getenv outside tests).
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}
