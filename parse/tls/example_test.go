package tls_test

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ceiling-dev/ceiling/parse/tls"
)

// A capture stage's use of a Conn: the reassembled bytes of each side as
// they come, the close, then the verdict. The bytes are those of zeek's
// tls-1.2-handshake-failure.pcap (BSD licence): a ClientHello in frame 4,
// the server's fatal alert in frame 6, its FIN in frame 7.
func ExampleConn() {
	hello, _ := hex.DecodeString("16030100ad010000a90303aaa3b6e3259f9c61ee29dde42820a73799972d6bf61ac2ea385a92c8ec5dae2f000012c010c006c015c00bc001003b0002" +
		"000100ff020100006d000b000403000102000a00340032000e000d0019000b000c00180009000a001600170008000600070014001500040005001200" +
		"13000100020003000f0010001100230000000d0020001e060106020603050105020503040104020403030103020303020102020203000f000101")
	alert, _ := hex.DecodeString("15030300020228")
	const t = 1393957586e9 // capture time of the frames, Unix ns

	if !tls.Looks(hello) {
		return // not TLS: some other parser's business
	}
	var decided []string
	c := tls.NewConn(&tls.Options{
		OnState: func(h *tls.Handshake) {
			decided = append(decided, strings.TrimSpace(fmt.Sprint(h.State, " ", h.Reason)))
		},
	})
	c.Feed(tls.Client, hello[:100], t, 4) // in any chunks
	c.Feed(tls.Client, hello[100:], t, 4)
	c.Feed(tls.Server, alert, t+5e6, 6)
	c.Close(tls.ServerFIN, t+6e6, 7)

	h := c.Handshake()
	fmt.Println(decided)
	fmt.Println(h.State, h.Reason, "at packet", h.Done.Packet)
	fmt.Println("client hello:", tls.VersionName(h.ClientHello.LegacyVersion), h.ClientHello.CipherSuites, "suites")
	a := h.Alerts[0]
	fmt.Println("alert from the", a.From, a.Name(), "fatal:", a.Fatal(h.Version))
	// Output:
	// [client-hello failed alert:handshake_failure]
	// failed alert:handshake_failure at packet 6
	// client hello: TLS 1.2 9 suites
	// alert from the server handshake_failure fatal: true
}
