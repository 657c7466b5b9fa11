package natsnode

import (
	"fmt"

	"github.com/rs/zerolog"
)

// zlog adapts zerolog to nats-server's Logger. Fatalf does not exit the
// process: it logs at error level and the owner notices the server stopping.
type zlog struct{ l zerolog.Logger }

func (z zlog) Noticef(f string, v ...any) { z.l.Info().Msg(fmt.Sprintf(f, v...)) }
func (z zlog) Warnf(f string, v ...any)   { z.l.Warn().Msg(fmt.Sprintf(f, v...)) }
func (z zlog) Fatalf(f string, v ...any) {
	z.l.Error().Bool("fatal", true).Msg(fmt.Sprintf(f, v...))
}
func (z zlog) Errorf(f string, v ...any) { z.l.Error().Msg(fmt.Sprintf(f, v...)) }
func (z zlog) Debugf(f string, v ...any) { z.l.Debug().Msg(fmt.Sprintf(f, v...)) }
func (z zlog) Tracef(f string, v ...any) { z.l.Trace().Msg(fmt.Sprintf(f, v...)) }
