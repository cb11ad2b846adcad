// Command goclient is the TLS 1.3 client of gen.sh's
// tls13-go-client-rejects-cert capture: Go's crypto/tls, trusting only
// the CA given, writing its key log. A server certificate it does not
// trust makes it send bad_certificate encrypted under its handshake keys
// (OpenSSL's client sends it in the clear): the alert only a key log can
// read.
//
//	goclient ADDR CA.pem KEYLOG
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goclient ADDR CA.pem KEYLOG")
		os.Exit(2)
	}
	ca, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	kl, err := os.Create(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer kl.Close()
	c, err := tls.Dial("tcp", os.Args[1], &tls.Config{
		ServerName: "edge.example", RootCAs: pool, NextProtos: []string{"sip"},
		MinVersion: tls.VersionTLS13, KeyLogWriter: kl,
		// Classic X25519 only, as the OpenSSL 3.0 server knows it.
		CurvePreferences: []tls.CurveID{tls.X25519},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		return
	}
	fmt.Fprintf(c, "OPTIONS sip:edge.example SIP/2.0\n")
	c.Close()
}
