package netpbm

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNumber(t *testing.T) {
	for _, tt := range []struct {
		in   string
		v    int
		err  error
		next byte   // the byte Number reports with ErrNotNumber
		rest string // what is left unread on success
	}{
		{in: "42 x", v: 42, rest: " x"},
		{in: "  \t\n7\n", v: 7, rest: "\n"},
		{in: "# a comment\n# another\r12#c", v: 12, rest: "#c"},
		{in: "3", v: 3}, // a number may end the input
		{in: "999999999 ", v: 999999999, rest: " "}, // MaxDigits digits
		{in: "1000000000", err: ErrTooManyDigits},
		{in: "x1", err: ErrNotNumber, next: 'x'},
		{in: "-1", err: ErrNotNumber, next: '-'},
		{in: "", err: io.EOF},
		{in: "  # only a comment", err: io.EOF},
	} {
		t.Run(tt.in, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.in))
			v, next, err := Number(br)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Equal(t, tt.next, next)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.v, v)
			rest, _ := io.ReadAll(br)
			require.Equal(t, tt.rest, string(rest))
		})
	}
}
