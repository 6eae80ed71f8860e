// Package servercmd implements the server's subcommands of the svgtrace
// command: serve (the HTTP API, the WebSocket hub and supervised worker
// processes) and worker (a trace worker on the same database). It is linked
// into the svgtrace-server executable, which the svgtrace command hands
// these subcommands to (package cli), and nothing else imports it.
//
// Every flag can also be set in the environment as SVGTRACE_<FLAG>; the
// command line wins over the environment, the environment over the
// defaults. Exit status: 0 after a graceful stop or --help, 1 when the
// service fails, 2 for a usage error (nothing is started).
package servercmd
