package imageio

import (
	"encoding/binary"
	"io"
)

// EXIF orientation of JPEG files: the Orientation tag (0x0112) of IFD0 in
// the TIFF structure of an APP1 segment that starts "Exif\0\0" (EXIF 2.32
// §4.5.4 and §4.6.4; TIFF 6.0 §2 for the header and IFD layout).

// exifScanLimit bounds how much of a JPEG jpegOrientation reads: the EXIF
// segment comes first or second (after JFIF's APP0) in every camera and
// phone file, and an APP1 segment holds at most 64 KiB, so 128 KiB reaches
// past it whatever precedes it in practice.
const exifScanLimit = 128 << 10

// jpegOrientation returns the EXIF orientation, 1–8, of the JPEG stream r
// reads from its start. It looks only at the segments before the first
// scan (SOS) within exifScanLimit bytes, and only at the first Exif APP1
// segment; anything missing, malformed or out of range gives 1. It never
// fails: EXIF is a hint for display, and a bad one must not lose the image.
func jpegOrientation(r io.Reader) int {
	lr := &io.LimitedReader{R: r, N: exifScanLimit}
	var b [2]byte
	if _, err := io.ReadFull(lr, b[:2]); err != nil || b[0] != 0xff || b[1] != 0xd8 {
		return 1
	}
	for {
		// A marker is 0xFF and a code, possibly after 0xFF fill bytes.
		if _, err := io.ReadFull(lr, b[:1]); err != nil || b[0] != 0xff {
			return 1
		}
		code := byte(0xff)
		for code == 0xff {
			if _, err := io.ReadFull(lr, b[:1]); err != nil {
				return 1
			}
			code = b[0]
		}
		switch {
		case code == 0xda || code == 0xd9 || code == 0x00: // SOS, EOI; 0x00 is no marker
			return 1
		case code == 0x01 || code == 0xd8 || code >= 0xd0 && code <= 0xd7: // no length: TEM, SOI, RSTn
			continue
		}
		if _, err := io.ReadFull(lr, b[:2]); err != nil {
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[:2])) - 2 // the length counts itself
		if n < 0 {
			return 1
		}
		if code == 0xe1 && n >= 6 { // APP1: Exif, or XMP and others
			var id [6]byte
			if _, err := io.ReadFull(lr, id[:]); err != nil {
				return 1
			}
			n -= len(id)
			if string(id[:]) == "Exif\x00\x00" {
				tiff := make([]byte, n) // at most 65527 bytes
				if _, err := io.ReadFull(lr, tiff); err != nil {
					return 1
				}
				return tiffOrientation(tiff)
			}
		}
		if _, err := io.CopyN(io.Discard, lr, int64(n)); err != nil {
			return 1
		}
	}
}

// tiffOrientation returns the Orientation tag of IFD0 of the TIFF structure
// t, 1 when there is none or it is malformed. Offsets are from the start of
// t; every one is checked against len(t) before it is used.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > uint64(len(t)) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	entries := t[ifd+2:]
	for i := 0; i < count && 12*i+12 <= len(entries); i++ {
		e := entries[12*i : 12*i+12]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		const typeShort = 3
		if bo.Uint16(e[2:]) != typeShort || bo.Uint32(e[4:]) != 1 {
			return 1
		}
		// A single SHORT sits in the first two bytes of the value field.
		if o := int(bo.Uint16(e[8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
