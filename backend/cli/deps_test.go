package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommandLeavesServerOut checks that the svgtrace command links none of
// the server's packages: they are what made svgtrace trace start in ~10 ms
// instead of ~4 (docs/benchmarks.md), and serve and worker reach them
// through svgtrace-server instead.
func TestCommandLeavesServerOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/svgtrace/svgtrace/backend/cmd/svgtrace").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	for _, banned := range []string{
		"github.com/svgtrace/svgtrace/backend/",      // every server package, cli excepted
		"github.com/riverqueue/",                     // the queue and its dashboard
		"modernc.org/sqlite",                         // the database driver
		"github.com/tursodatabase/libsql-client-go/", // the remote database
		"github.com/prometheus/",                     // metrics
		"github.com/gorilla/websocket",               // the hub
		"github.com/svgtrace/svgtrace/web",           // the embedded app and wasm
		"net/http",                                   // only the server serves
	} {
		for _, d := range deps {
			if d == "github.com/svgtrace/svgtrace/backend/cli" || d == "github.com/svgtrace/svgtrace/backend/cmd/svgtrace" {
				continue // the command itself
			}
			assert.False(t, strings.HasPrefix(d, banned), "svgtrace links %s", d)
		}
	}
}
