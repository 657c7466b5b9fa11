package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
)

// TLSOptions are orchestrator's UseSSL keys, as the server applies them.
type TLSOptions struct {
	// Config is the listener's TLS configuration (ServerTLSConfig); nil
	// serves plain HTTP.
	Config *tls.Config
	// Mutual is UseMutualTLS: every request must come with a client
	// certificate, verified against SSLCAFile, whose subject has one of
	// ValidOUs as an organizational unit; others get 401 Unauthorized.
	Mutual   bool
	ValidOUs []string // SSLValidOUs
	// StatusOUVerify applies the OU check to StatusEndpoint too; false
	// (orchestrator's default) lets load balancers probe it without a
	// certificate.
	StatusOUVerify bool
	// SkipVerify is SSLSkipVerify: a write forwarded to the leader does not
	// verify the leader's certificate.
	SkipVerify bool
}

// peerConfig is the client side of forwarding a write to the leader over
// HTTPS: the leader's certificate is verified against SSLCAFile (the
// system's roots without one) unless SkipVerify, and this node presents its
// own certificate, which a leader with UseMutualTLS checks like a client's.
func (o TLSOptions) peerConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.Config.ClientCAs,
		Certificates: o.Config.Certificates, InsecureSkipVerify: o.SkipVerify}
}

// ServerTLSConfig builds the HTTPS listener's configuration from
// SSLCertFile, SSLPrivateKeyFile and SSLCAFile. With mutual, client
// certificates are verified against the CA when given (orchestrator's
// tls.VerifyClientCertIfGiven: the OU check then refuses requests without
// one, so the status endpoint can stay open). Errors name the key at fault.
func ServerTLSConfig(certFile, keyFile, caFile string, mutual bool) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("load SSLCertFile/SSLPrivateKeyFile: both must be set when UseSSL is true")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load SSLCertFile %s / SSLPrivateKeyFile %s: %w", certFile, keyFile, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if caFile != "" {
		pool, err := readCAPool(caFile)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs = pool
	}
	if mutual {
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// readCAPool reads the PEM certificates of SSLCAFile.
func readCAPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read SSLCAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read SSLCAFile %s: no PEM certificate found", caFile)
	}
	return pool, nil
}

// verifyOUs wraps h with UseMutualTLS's check: the request's verified
// client certificate must carry one of the valid OUs. It runs before
// authentication, on every path except StatusEndpoint (unless
// StatusOUVerify), as orchestrator's ssl.Verify does.
func (s *Server) verifyOUs(h http.Handler) http.Handler {
	o := s.opts.TLS
	if o.Config == nil || !o.Mutual {
		return h
	}
	status := s.opts.URLPrefix + s.opts.StatusEndpoint
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.StatusOUVerify && r.URL.Path == status {
			h.ServeHTTP(w, r)
			return
		}
		if err := clientOU(r, o.ValidOUs); err != nil {
			s.log.Info().Err(err).Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Msg("client certificate refused")
			http.Error(w, "401 Unauthorized: "+err.Error(), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// clientOU returns nil when a verified chain's leaf has a valid OU.
func clientOU(r *http.Request, valid []string) error {
	if r.TLS == nil {
		return errors.New("no TLS")
	}
	if len(r.TLS.VerifiedChains) == 0 {
		return errors.New("no verified client certificate")
	}
	var seen []string
	for _, chain := range r.TLS.VerifiedChains {
		for _, ou := range chain[0].Subject.OrganizationalUnit {
			if slices.Contains(valid, ou) {
				return nil
			}
			seen = append(seen, ou)
		}
	}
	return fmt.Errorf("client certificate OU %q is not one of SSLValidOUs", strings.Join(seen, ","))
}
