package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit statuses, the same for every subcommand.
const (
	ExitOK    = 0
	ExitFail  = 1 // some input failed, or the service failed
	ExitUsage = 2 // the command line is wrong

	exitOK, exitFail, exitUsage = ExitOK, ExitFail, ExitUsage
)

const usage = `svgtrace turns images into small, smooth SVG traces.

Usage:
  svgtrace trace [flags] FILE|DIR...   trace images (files, folders) to SVG
  svgtrace serve [flags]               run the API server and its trace workers
  svgtrace worker [flags]              run a trace worker (serve starts its own)
  svgtrace version                     print the version
  svgtrace help [COMMAND]              show help

Run 'svgtrace help COMMAND' for a command's flags.
`

// Stdio is what a command runs with: its standard streams and its
// environment (os.Getenv outside tests).
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// OSStdio is the process's own standard streams and environment.
func OSStdio() Stdio {
	return Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// A Service runs one of the server's subcommands, cmd ("serve" or
// "worker"), with its arguments, and returns its exit status: package
// servercmd's Run.
type Service func(cmd string, args []string, stdio Stdio) int

// Main runs the svgtrace command with args (without the program name) and
// returns its exit status. The server's subcommands, serve and worker, are
// run by services; when services is nil (the svgtrace command, which does
// not link the server, so that svgtrace trace starts in a few
// milliseconds) they are handed to the svgtrace-server executable (see
// forwardService).
func Main(args []string, stdio Stdio, services Service) int {
	e := &env{stdin: stdio.Stdin, stdout: stdio.Stdout, stderr: stdio.Stderr, isTerminal: isTerminal, getenv: stdio.Getenv, services: services}
	return e.main(args)
}

// env is what a command runs in: its standard streams, and whether a stream
// is a terminal, which tests set instead of needing a real one.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     func(w io.Writer) bool
	getenv         func(string) string // os.Getenv; tests pass their own
	services       Service             // nil: forwardService
}

func (e *env) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "trace":
		return e.runTrace(args[1:])
	case "serve", "worker":
		if e.services == nil {
			return e.forwardService(args)
		}
		return e.services(args[0], args[1:], Stdio{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr, Getenv: e.getenv})
	case "version", "--version", "-v":
		fmt.Fprintln(e.stdout, "svgtrace", version())
		return exitOK
	case "help", "-h", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "trace":
				fmt.Fprint(e.stdout, traceUsageFull)
				return exitOK
			case "serve", "worker":
				return e.main([]string{args[1], "--help"})
			}
		}
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "svgtrace: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// isTerminal reports whether w is a character device, a terminal in
// practice, by the file's mode rather than a terminal library: no
// dependency, and a progress line redrawn on /dev/null costs nothing.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
