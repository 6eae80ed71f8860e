package cli

import (
	"fmt"
	"io"
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
  svgtrace trace [flags] FILE...   trace bitmaps to SVG
  svgtrace version                 print the version
  svgtrace help [COMMAND]          show help

Run 'svgtrace help trace' for the trace flags.
`

// Main runs the svgtrace command with args (without the program name) and
// returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "trace":
		return runTrace(args[1:], stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "svgtrace", version())
		return exitOK
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "trace" {
			fmt.Fprint(stdout, traceUsageFull)
			return exitOK
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "svgtrace: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
