//go:build !unix

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// runReplacing runs path with args as a child on the same standard streams
// and returns its exit status: there is no exec(2) to replace this process.
func runReplacing(path string, args []string) (int, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return exitFail, err
	}
	return exitOK, nil
}
