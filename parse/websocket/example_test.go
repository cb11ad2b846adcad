package websocket_test

import (
	"fmt"

	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/websocket"
)

// The capture stage's wiring for one TCP connection to a SIP edge: HTTP
// on both sides until the 101, then WebSocket frames, whose messages are
// SIP. Each side's bytes arrive in order, in pieces; here the client's
// handshake, the server's answer with the first SIP message right behind
// it, then a masked SIP request from the client.
func Example() {
	client, server := http.NewRequestParser(nil), http.NewResponseParser(nil)
	var req *http.Request
	var wsClient, wsServer *websocket.Parser

	// messages prints what a WebSocket parser found.
	messages := func(side string, evs []websocket.Event) {
		for _, e := range evs {
			switch e.Kind {
			case websocket.KindMessage:
				fmt.Printf("%s: %v message %q\n", side, e.Message.Opcode, e.Message.Payload)
			case websocket.KindProblem:
				fmt.Printf("%s: problem: %v\n", side, e.Err)
			}
		}
	}
	// upgraded hands what parse/http passes on to the WebSocket parser of
	// that side, creating it at the switch.
	upgraded := func(side string, e http.Event, p **websocket.Parser, opts websocket.Options) {
		if *p == nil {
			*p = websocket.NewParser(opts)
		}
		if e.Gap > 0 {
			messages(side, (*p).Gap(e.Gap, e.Time))
		} else if len(e.Data) > 0 {
			messages(side, (*p).Feed(e.Data, e.Time))
		}
	}
	var ext string // what the 101 negotiated
	onClient := func(evs []http.Event) {
		for _, e := range evs {
			switch e.Kind {
			case http.KindRequest:
				req = e.Request
				server.ExpectMethod(req.Method)
				fmt.Printf("client: %s %s websocket=%v\n", req.Method, req.Target, http.IsWebSocketUpgrade(req))
			case http.KindUpgrade:
				upgraded("client", e, &wsClient, websocket.Options{FromClient: true, Extensions: ext})
			}
		}
	}
	onServer := func(evs []http.Event) {
		for _, e := range evs {
			switch e.Kind {
			case http.KindResponse:
				resp := e.Response
				fmt.Printf("server: %d, handshake valid=%v\n", resp.Code, http.ValidAccept(req, resp))
				if resp.Code == 101 {
					ext = resp.WebSocketExtensions
				}
				onClient(client.Answer(resp.Code, e.Time))
			case http.KindUpgrade:
				upgraded("server", e, &wsServer, websocket.Options{Extensions: ext})
			}
		}
	}

	onClient(client.Feed([]byte("GET /sip HTTP/1.1\r\nHost: edge.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n"), 1))
	onServer(server.Feed([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"+
		"\x81\x1bOPTIONS sip:a@b SIP/2.0\r\n\r\n"), 2))
	sip := "SIP/2.0 200 OK\r\n\r\n"
	frame := []byte{0x81, 0x80 | byte(len(sip)), 1, 2, 3, 4}
	for i := range len(sip) {
		frame = append(frame, sip[i]^byte(1+i%4))
	}
	onClient(client.Feed(frame[:7], 3))
	onClient(client.Feed(frame[7:], 4))
	// Output:
	// client: GET /sip websocket=true
	// server: 101, handshake valid=true
	// server: text message "OPTIONS sip:a@b SIP/2.0\r\n\r\n"
	// client: text message "SIP/2.0 200 OK\r\n\r\n"
}
