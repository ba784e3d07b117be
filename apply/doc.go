// Package apply puts converted objects on a cluster the way kubectl does:
// server-side apply with a field manager, an ApplySet (KEP-3659) that
// records what hoist applied so it can prune and delete exactly that,
// diffs from server-side dry runs, and watch-based rollout waits.
//
// It talks to the cluster through client-go's dynamic client and a
// discovery-backed RESTMapper, with unstructured objects only. It returns
// results as data; printing is the caller's job.
package apply
