// Package cli implements the svgtrace command's subcommands behind one entry
// point, Main, which takes the arguments and standard streams and returns the
// exit status, so tests can run a command in-process as well as through the
// built binary.
//
// Exit status: 0 when every input was traced, 1 when any input failed (the
// others are still traced and written), 2 for a usage error (nothing is done).
package cli
