package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// newLogger builds the process logger: JSON by default, console format on a
// terminal (format "auto") or when asked ("console"; colours only on a
// terminal).
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		if level != "" {
			return zerolog.Logger{}, fmt.Errorf("log level %q: want trace, debug, info, warn or error", level)
		}
		lvl = zerolog.InfoLevel
	}
	out := w
	f, ok := w.(*os.File)
	tty := ok && isatty.IsTerminal(f.Fd())
	switch format {
	case "console":
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !tty}
	case "auto", "":
		if tty {
			out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
		}
	case "json":
	default:
		return zerolog.Logger{}, fmt.Errorf("log format %q: want json, console or auto", format)
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
