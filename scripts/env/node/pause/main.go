// Command pause is the sandbox ("pause") container of node.sh's pods: it holds
// the pod's namespaces open and does nothing else. No registry on the internet
// is reachable here, so the image is built from this file (FROM scratch, a
// static binary) instead of pulled.
//
// As PID 1 of the pod's PID namespace (when the pod shares one) it must reap
// orphaned children, or they stay zombies; and it must exit on SIGTERM or
// SIGINT, which is how the runtime stops a sandbox.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every child that has exited; several exits may arrive as one
// SIGCHLD, so it loops until none is left.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
