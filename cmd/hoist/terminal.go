package main

import (
	"os"

	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
)

// terminalIn returns stdin as a terminal, or nil when it is not one.
func terminalIn(streams IOStreams) *os.File {
	f, ok := streams.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

// rawTerminal puts the terminal in raw mode, as docker and kubectl do with
// -t, and returns what restores it.
func rawTerminal(f *os.File) (func(), error) {
	state, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return func() {}, err
	}
	return func() { _ = term.Restore(int(f.Fd()), state) }, nil
}

// sizeQueue reports the terminal's size once, when the stream starts.
type sizeQueue struct {
	fd   int
	sent bool
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if q.sent {
		// One size per session; nil ends the queue.
		return nil
	}
	q.sent = true
	w, h, err := term.GetSize(q.fd)
	if err != nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: uint16(w), Height: uint16(h)}
}
