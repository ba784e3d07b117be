// Package ops runs docker compose's everyday verbs against the cluster a
// project was applied to: logs, exec, run, restart, scale, ls and
// port-forward. It finds a compose service's pods from the project's
// conversion (the workload's selector and the service's container) and
// uses client-go's own machinery for the streams: the pods/log, exec and
// attach subresources, tools/remotecommand, tools/portforward and watch.
// It prints nothing of its own but the streams it is given.
package ops
