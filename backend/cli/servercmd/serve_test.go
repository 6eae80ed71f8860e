package servercmd

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/svgtrace/svgtrace/backend/cli"
)

// TestServiceUsage covers serve's and worker's command lines up to the point
// where they would open the database: help, and every usage error, which
// must exit 2 with a message naming what was wrong.
func TestServiceUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string // a substring of standard output
		stderr string // a substring of standard error
	}{
		{"ServeHelp", []string{"serve", "--help"}, nil, exitOK, "SVGTRACE_ADDR", ""},
		{"HelpServe", []string{"help", "serve"}, nil, exitOK, "--worker-nice", ""},
		{"WorkerHelp", []string{"help", "worker"}, nil, exitOK, "SVGTRACE_WORKER_TOKEN", ""},
		{"NegativeWorkers", []string{"serve", "--workers", "-1"}, nil, exitUsage, "", "--workers must be 0 or more"},
		{"BadLogLevel", []string{"serve", "--log-level", "loud"}, nil, exitUsage, "", `--log-level "loud"`},
		{"BadLogFormatFromEnv", []string{"worker"}, map[string]string{"SVGTRACE_LOG_FORMAT": "xml"}, exitUsage, "", `--log-format "xml"`},
		{"BadEnvNumber", []string{"serve"}, map[string]string{"SVGTRACE_WORKERS": "many"}, exitUsage, "", "SVGTRACE_WORKERS"},
		{"StrayArgument", []string{"serve", "now"}, nil, exitUsage, "", `unexpected argument "now"`},
		{"BadTrustedProxy", []string{"serve", "--trusted-proxies", "10.0.0.0/8,proxy.local"}, nil, exitUsage, "", `--trusted-proxies: "proxy.local" is neither`},
		{"NoTokenBeyondLoopback", []string{"serve", "--addr", "0.0.0.0:8080"}, nil, exitUsage, "", "needs --token"},
		{"ServerWithoutToken", []string{"worker", "--server", "http://127.0.0.1:1"}, nil, exitUsage, "", "--server needs --worker-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			stdio := cli.Stdio{Stdin: bytes.NewReader(nil), Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) string { return tc.env[k] }}
			assert.Equal(t, tc.code, cli.Main(tc.args, stdio, Run), "stderr: %s", stderr.String())
			assert.Contains(t, stdout.String(), tc.stdout)
			assert.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:80": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "10.0.0.5:8080": false, "example.com:80": false, "nonsense": false,
	} {
		assert.Equal(t, want, loopbackOnly(addr), addr)
	}
}
