package supervise

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDieWithParent(t *testing.T) {
	cmd := exec.Command("true")
	DieWithParent(cmd)
	require.NotNil(t, cmd.SysProcAttr)
	assert.Equal(t, syscall.SIGTERM, cmd.SysProcAttr.Pdeathsig)

	// It keeps what was set already.
	cmd = exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	DieWithParent(cmd)
	assert.True(t, cmd.SysProcAttr.Setpgid)
	assert.Equal(t, syscall.SIGTERM, cmd.SysProcAttr.Pdeathsig)
}
