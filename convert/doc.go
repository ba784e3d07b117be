// Package convert turns a loaded compose project into Kubernetes objects.
//
// It is pure: it takes a *types.Project from compose-go and Options, and
// returns objects in one total order plus the warnings that say what was
// approximated or dropped. It does no I/O, prints nothing and imports no
// client-go; loading is the load package's job and applying is apply's.
package convert
