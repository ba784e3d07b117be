// Package apply puts converted objects on a cluster the way kubectl does:
// server-side apply with a field manager, an ApplySet (KEP-3659) that
// records what hoist applied so it can prune and delete exactly that,
// diffs from server-side dry runs, and rollout waits on client-go
// informers.
//
// It talks to the cluster through client-go's dynamic client and a
// discovery-backed RESTMapper, with unstructured objects only. It returns
// results as data; printing is the caller's job. Errors that name an
// option are *OptionError, so a command can name its flag instead; a field
// manager conflict is a *ConflictError.
//
// Files: client.go (connecting, retries), apply.go (Apply), compare.go
// (skip or replace), prune.go, applyset.go (the parent Secret), diff.go,
// delete.go, wait.go (Wait and why a workload is not ready), ready.go (the
// readiness rules, and why not kstatus), status.go (Status and Projects),
// errors.go.
package apply
