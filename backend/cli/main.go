package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // some input failed
	exitUsage = 2 // the command line is wrong
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

// Main runs the svgtrace command with args (without the program name) and
// returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: isTerminal, getenv: os.Getenv}
	return e.main(args)
}

// env is what a command runs in: its standard streams, and whether a stream
// is a terminal, which tests set instead of needing a real one.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     func(w io.Writer) bool
	getenv         func(string) string // os.Getenv; tests pass their own
}

func (e *env) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "trace":
		return e.runTrace(args[1:])
	case "serve":
		return e.runServe(args[1:])
	case "worker":
		return e.runWorker(args[1:])
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
