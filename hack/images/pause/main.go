// Command pause is the local node's pod sandbox process (the role of
// registry.k8s.io/pause): it holds the pod's namespaces, reaps the zombies
// of a shared process namespace and exits on SIGTERM or SIGINT. It is built
// statically and packed FROM scratch by hack/images.sh, because the local
// node cannot pull images.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
