package tls_test

import (
	"fmt"
	"os"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/tls"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// How a capture stage decrypts: the key logs given (--keylog, any
// number) and the secrets blocks of the pcapng read into one Log, one
// KeyLogDecrypter for every connection, the plaintext to the parsers
// that read plaintext streams, and at the end the connections without
// keys reported.
func ExampleKeyLogDecrypter() {
	var problems parse.Problems
	log := keylog.New()
	for _, path := range []string{"sslkeys.txt"} { // --keylog, repeatable
		f, err := os.Open(path)
		if err != nil {
			fmt.Println(err) // a file that cannot be read at all is an error
			return
		}
		l, err := keylog.Read(f, path, &problems) // bad lines: problems, not errors
		f.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		log.Merge(l)
	}
	dec := tls.NewDecrypter(log)

	// The capture reader hands over each secrets block before the packets
	// that follow it: merged, it is there for the connections after it.
	in, _ := os.Open("capture.pcapng")
	r, _ := pcap.NewReaderFrom(in, "capture.pcapng", pcap.Options{
		Problems: &problems,
		OnSecrets: func(s *pcap.Secrets) {
			log.Merge(keylog.FromSecretsBlock(s.Type, s.Data, "capture.pcapng", s.Offset, &problems))
		},
	})
	_ = r // … packets to TCP reassembly, and for each TLS connection:

	c := tls.NewConn(&tls.Options{
		Decrypter: dec,
		OnData: func(p *tls.Plaintext) {
			// p.Data is the next piece of p.From's plaintext stream: feed it
			// to the SIP, HTTP or WebSocket parser of that side, after a
			// Gap when p.Lost.
		},
	})
	// … c.Feed, c.Gap, c.Close as without keys; then, per connection:
	switch d := c.Session().Decryption(); d.Keys {
	case tls.KeysMissing, tls.KeysWrong, tls.KeysPartial, tls.KeysNoHello, tls.KeysUnsupported:
		fmt.Println("not decrypted:", d.Keys, d.Failed, "records")
	}
	// … and for the run:
	st := dec.Stats()
	fmt.Println(st.WithoutKeys, "connections without keys;", st.FailedBy["authentication"], "records failed authentication")
}
