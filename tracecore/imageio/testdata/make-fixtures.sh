#!/bin/sh
# Regenerates the fixtures described in SOURCES.md. Needs Debian's
# imagemagick (6.9) and webp packages. Run from this directory.
set -eu
IM=/usr/bin/convert

# The base picture, 48×32: white, a red 16×16 square at the top left, a blue
# one at the top right. Two marked corners fix which way up it is.
$IM -size 48x32 xc:white -fill red -draw "rectangle 0,0 15,15" \
	-fill blue -draw "rectangle 32,0 47,15" -strip PNG24:marks.png

# PNG variants.
$IM marks.png -strip -depth 16 PNG48:marks16.png
$IM marks.png -strip -colorspace Gray -depth 8 -define png:color-type=0 gray.png
$IM marks.png -strip PNG8:palette.png
$IM -size 48x32 xc:none -fill white -draw "rectangle 8,8 39,23" -strip PNG32:alpha.png

# GIF: two frames, the marks then plain green; decoding gives the first.
$IM -delay 10 marks.png \( -size 48x32 xc:green \) -loop 0 anim.gif

# WebP: lossy, lossless with alpha, lossy with alpha (VP8X + ALPH + VP8).
cwebp -quiet -q 90 marks.png -o marks.webp
cwebp -quiet -lossless alpha.png -o alpha_lossless.webp
cwebp -quiet -q 90 alpha.png -o alpha_lossy.webp

# BMP, 24 bits, BITMAPINFOHEADER.
$IM marks.png BMP3:marks.bmp

# A CMYK JPEG (Adobe APP14, 4 components): image/jpeg gives *image.CMYK.
$IM marks.png -colorspace CMYK -quality 90 cmyk.jpg

# Netpbm, plain (-compress none) and raw, 8 and 16 bits.
$IM marks.png -compress none marks_plain.ppm
$IM marks.png marks.ppm
$IM marks.png -depth 16 -compress none marks16_plain.ppm
$IM marks.png -depth 16 marks16.ppm
$IM marks.png -colorspace Gray -compress none gray_plain.pgm
$IM marks.png -colorspace Gray gray.pgm
$IM marks.png -colorspace Gray -depth 16 -compress none gray16_plain.pgm
$IM marks.png -colorspace Gray -depth 16 gray16.pgm
$IM marks.png -colorspace Gray -threshold 50% -compress none marks_plain.pbm
$IM marks.png -colorspace Gray -threshold 50% marks.pbm

# An animated WebP (VP8X with the animation flag, ANIM and ANMF chunks),
# which the decoder does not read: Decode reports it as unsupported.
$IM -size 48x32 xc:green green.tmp.png
img2webp -loop 0 marks.png -d 100 green.tmp.png -o anim.webp >/dev/null 2>&1
rm green.tmp.png
