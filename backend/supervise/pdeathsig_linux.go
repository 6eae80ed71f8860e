package supervise

import (
	"os/exec"
	"syscall"
)

// DieWithParent makes cmd's process receive SIGTERM if the supervisor dies
// (even by SIGKILL), so no worker outlives a killed server unsupervised.
func DieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}
