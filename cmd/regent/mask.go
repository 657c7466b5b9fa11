package main

import (
	"net/url"
	"strings"

	"github.com/regent-ha/regent/config"
)

// maskedError is err with the credentials of urls masked in its message;
// errors.Is and errors.As still see err.
type maskedError struct {
	err error
	msg string
}

func (e maskedError) Error() string { return e.msg }
func (e maskedError) Unwrap() error { return e.err }

// maskURLErr masks, in err's message, each of urls (as written, e.g. in a
// url.Error) and the password or token each holds. nil stays nil.
func maskURLErr(err error, urls []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range urls {
		msg = strings.ReplaceAll(msg, s, config.MaskURL(s))
		if u, perr := url.Parse(s); perr == nil && u.User != nil {
			secret, ok := u.User.Password()
			if !ok {
				secret = u.User.Username() // a token
			}
			if secret != "" {
				msg = strings.ReplaceAll(msg, secret, config.MaskedValue)
			}
		}
	}
	if msg == err.Error() {
		return err
	}
	return maskedError{err: err, msg: msg}
}
