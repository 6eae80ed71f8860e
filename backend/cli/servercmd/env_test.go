package servercmd

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"max-pixels":       "SVGTRACE_MAX_PIXELS",
		"max-upload-bytes": "SVGTRACE_MAX_UPLOAD_BYTES",
		"addr":             "SVGTRACE_ADDR",
		"db":               "SVGTRACE_DB",
		"worker-token":     "SVGTRACE_WORKER_TOKEN",
		"log-level":        "SVGTRACE_LOG_LEVEL",
	} {
		assert.Equal(t, want, envName(flagName), flagName)
	}
}

func TestParseWithEnv(t *testing.T) {
	// flags are a serve-like set: a string, an int64, a bool.
	type flags struct {
		addr      string
		maxPixels int64
		debug     bool
	}
	newFlagSet := func(f *flags) *flag.FlagSet {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "")
		fs.Int64Var(&f.maxPixels, "max-pixels", 100, "")
		fs.BoolVar(&f.debug, "debug", false, "")
		return fs
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    flags
		wantErr string // a substring of the error; "" for none
	}{
		{name: "Defaults", want: flags{addr: "127.0.0.1:8080", maxPixels: 100}},
		{
			name: "EnvOverDefault",
			env:  map[string]string{"SVGTRACE_MAX_PIXELS": "5000", "SVGTRACE_ADDR": ":9000", "SVGTRACE_DEBUG": "true"},
			want: flags{addr: ":9000", maxPixels: 5000, debug: true},
		},
		{
			name: "CommandLineOverEnv",
			args: []string{"--max-pixels", "7", "--addr=:1"},
			env:  map[string]string{"SVGTRACE_MAX_PIXELS": "5000", "SVGTRACE_ADDR": ":9000"},
			want: flags{addr: ":1", maxPixels: 7},
		},
		{
			name: "CommandLineOverBadEnv",
			args: []string{"--max-pixels=7"},
			env:  map[string]string{"SVGTRACE_MAX_PIXELS": "lots"},
			want: flags{addr: "127.0.0.1:8080", maxPixels: 7},
		},
		{
			name: "CommandLineDefaultValueStillWins",
			args: []string{"--max-pixels=100"},
			env:  map[string]string{"SVGTRACE_MAX_PIXELS": "5000"},
			want: flags{addr: "127.0.0.1:8080", maxPixels: 100},
		},
		{
			name: "EmptyEnvIsUnset",
			env:  map[string]string{"SVGTRACE_ADDR": ""},
			want: flags{addr: "127.0.0.1:8080", maxPixels: 100},
		},
		{
			name: "OtherPrefixIgnored",
			env:  map[string]string{"MAX_PIXELS": "5", "max-pixels": "5"},
			want: flags{addr: "127.0.0.1:8080", maxPixels: 100},
		},
		{
			name:    "BadEnvValue",
			env:     map[string]string{"SVGTRACE_MAX_PIXELS": "lots"},
			wantErr: `SVGTRACE_MAX_PIXELS="lots"`,
		},
		{
			name:    "BadEnvBool",
			env:     map[string]string{"SVGTRACE_DEBUG": "maybe"},
			wantErr: "SVGTRACE_DEBUG",
		},
		{name: "StrayArgument", args: []string{"--addr=:1", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "UnknownFlag", args: []string{"--nope"}, wantErr: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got flags
			fs := newFlagSet(&got)
			var asked []string
			getenv := func(k string) string { asked = append(asked, k); return tt.env[k] }
			err := parseWithEnv(fs, tt.args, getenv)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for _, k := range asked {
				assert.Regexp(t, `^SVGTRACE_[A-Z_]+$`, k, "only SVGTRACE_ variables are read")
			}
		})
	}
}
