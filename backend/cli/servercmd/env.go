package servercmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// envPrefix is the prefix of the environment variables serve and worker
// read their flags from: --max-pixels from SVGTRACE_MAX_PIXELS.
const envPrefix = "SVGTRACE_"

// envName is the environment variable for a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseWithEnv parses args into fs, then sets every flag the command line
// left unset from its environment variable, if that is set: the command line
// wins over the environment, the environment over the defaults. getenv is
// os.Getenv outside tests.
func parseWithEnv(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// flagUsage prints a command's usage, naming each flag's variable.
func flagUsage(w io.Writer, fs *flag.FlagSet, head string) func() {
	return func() {
		fmt.Fprint(w, head)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "  --%s\n        %s%s [$%s]\n", f.Name, f.Usage, def, envName(f.Name))
		})
	}
}

// logFlags are the logging flags serve and worker share.
type logFlags struct {
	level  string
	format string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
}

// logger returns the structured logger the flags describe, writing to w.
func (l *logFlags) logger(w io.Writer, attrs ...any) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch l.format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", l.format)
	}
	return slog.New(h).With(attrs...), nil
}

// parseServiceFlags parses the command line of serve or worker (cmd), the
// environment filling in what it leaves unset. When ok is false the command
// is over and exits with code: 0 after --help, exitUsage after an error,
// which is printed.
func (e *env) parseServiceFlags(cmd string, fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := parseWithEnv(fs, args, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, false
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace %s: %v\n", cmd, err)
		return exitUsage, false
	}
	return 0, true
}

// serviceLogger makes the logger of serve or worker (cmd) from its flags and
// makes it the default, through which River's migrator logs too. When ok is
// false the flags are wrong (printed) and the command exits with exitUsage.
func (e *env) serviceLogger(cmd string, l *logFlags, attrs ...any) (log *slog.Logger, ok bool) {
	log, err := l.logger(e.stderr, append([]any{"proc", cmd}, attrs...)...)
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace %s: %v\n", cmd, err)
		return nil, false
	}
	slog.SetDefault(log)
	return log, true
}
