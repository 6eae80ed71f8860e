package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ServerCommand is the executable that runs serve and worker: the svgtrace
// command with the server linked in. The svgtrace command itself leaves
// the server out because its packages (the database drivers, River and its
// dashboard, Prometheus, the WebSocket hub and the embedded web app) cost
// 30 MB of binary and ~5 ms of package initialisation on every start,
// which svgtrace trace, often run once per file by scripts, would pay for
// nothing.
const ServerCommand = "svgtrace-server"

// forwardService runs args (serve or worker, and its arguments) as the
// svgtrace-server beside this executable, or else the one on PATH: on Unix
// it replaces this process, so the server keeps its process ID, signals
// and exit status; elsewhere it runs as a child whose status is returned.
func (e *env) forwardService(args []string) int {
	path, err := findServer()
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace %s: %v\n", args[0], err)
		return exitFail
	}
	code, err := runReplacing(path, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace %s: run %s: %v\n", args[0], path, err)
		return exitFail
	}
	return code
}

// errNoServer says where svgtrace-server was looked for and how to get it.
var errNoServer = errors.New(ServerCommand + " runs serve and worker, and is neither beside this svgtrace nor on PATH: " +
	"build both with make build, or go install github.com/svgtrace/svgtrace/backend/cmd/" + ServerCommand + "@latest")

// findServer returns the path of svgtrace-server: beside this executable
// (symbolic links resolved, so a link to bin/svgtrace finds
// bin/svgtrace-server), else on PATH.
func findServer() (string, error) {
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		p := filepath.Join(filepath.Dir(self), ServerCommand)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(ServerCommand); err == nil {
		return p, nil
	}
	return "", errNoServer
}
