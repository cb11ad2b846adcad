package pcap

import (
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ipv6Header is the DecodingLayer the parser uses for IPv6 in place of
// gopacket's layers.IPv6, which decodes a hop-by-hop header itself, into
// an option per allocation, and reads a zero payload length as a jumbogram
// that must carry the option saying so. Here the fixed header is all: every
// extension header, hop-by-hop included, is stepped over by the extension
// layer, and a zero payload length is an empty packet (jumbograms need
// links with an MTU over 64 KiB, which no capture of a SIP edge has).
type ipv6Header struct {
	layers.BaseLayer
	Src, Dst   []byte
	NextHeader layers.IPProtocol
	Length     uint16 // payload length, extension headers included
}

func (h *ipv6Header) LayerType() gopacket.LayerType  { return layers.LayerTypeIPv6 }
func (h *ipv6Header) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv6 }

func (h *ipv6Header) NextLayerType() gopacket.LayerType {
	return noTunnel(h.NextHeader.LayerType())
}

func (h *ipv6Header) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 40 {
		df.SetTruncated()
		return fmt.Errorf("IPv6 header of %d bytes, less than 40", len(data))
	}
	h.Length = binary.BigEndian.Uint16(data[4:6])
	h.NextHeader = layers.IPProtocol(data[6])
	h.Src, h.Dst = data[8:24], data[24:40]
	end := 40 + int(h.Length)
	if end > len(data) {
		// cut by the snap length; what follows is decoded as far as it goes
		df.SetTruncated()
		end = len(data)
	}
	h.Contents, h.Payload = data[:40], data[40:end]
	return nil
}
