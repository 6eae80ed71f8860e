//go:build !linux

package supervise

import "os/exec"

// DieWithParent does nothing here: only Linux can tie a child's life to its
// parent's. A worker whose server died keeps working the queue, which is
// harmless, until stopped.
func DieWithParent(cmd *exec.Cmd) {}
