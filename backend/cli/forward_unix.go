//go:build unix

package cli

import (
	"os"
	"syscall"
)

// runReplacing executes path with args in place of this process; it
// returns only if that fails.
func runReplacing(path string, args []string) (int, error) {
	return exitFail, syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
