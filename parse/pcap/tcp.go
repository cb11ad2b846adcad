package pcap

import (
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpHeader is the DecodingLayer the parser uses for TCP in place of
// gopacket's layers.TCP. That one parses every option into a slice of
// structs holding slices, which cost a third of the time of a TCP-heavy
// capture (write barriers included), for options nobody here reads. This
// one takes the fixed header and steps over the options.
type tcpHeader struct {
	layers.BaseLayer
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8 // byte 13: CWR ECE URG ACK PSH RST SYN FIN
	Window           uint16
	HeaderLen        int // from the data offset; Contents is shorter when OptionsCut
	// OptionsCut is set when the snap length cut the header inside its
	// options: the fixed part is there, the payload is not.
	OptionsCut bool
}

func (t *tcpHeader) LayerType() gopacket.LayerType  { return layers.LayerTypeTCP }
func (t *tcpHeader) CanDecode() gopacket.LayerClass { return layers.LayerTypeTCP }

// NextLayerType stops the parser: what TCP carries is for other packages,
// and needs the stream put back together first.
func (t *tcpHeader) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

func (t *tcpHeader) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return fmt.Errorf("TCP header of %d bytes, less than 20", len(data))
	}
	t.SrcPort = binary.BigEndian.Uint16(data[0:2])
	t.DstPort = binary.BigEndian.Uint16(data[2:4])
	t.Seq = binary.BigEndian.Uint32(data[4:8])
	t.Ack = binary.BigEndian.Uint32(data[8:12])
	t.Flags = data[13]
	t.Window = binary.BigEndian.Uint16(data[14:16])
	hl := int(data[12]>>4) * 4
	if hl < 20 {
		return fmt.Errorf("TCP data offset %d, less than 5", hl/4)
	}
	t.HeaderLen = hl
	t.OptionsCut = hl > len(data)
	if t.OptionsCut {
		df.SetTruncated()
		hl = len(data)
	}
	t.Contents, t.Payload = data[:hl], data[hl:]
	return nil
}
