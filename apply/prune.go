package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// checkOrigin looks, before anything is written, for the set's objects
// that this project lacks when the set was last applied from another
// project of the same name (another Origin): prune would delete them, so
// it refuses, unless Takeover; a plain apply warns, as docker compose
// warns about orphan containers.
func (c *Client) checkOrigin(ctx context.Context, set *applySet, st parentState, objects []prepared, o Options) error {
	if !set.foreign(st) {
		return nil
	}
	members, err := set.members(ctx, c, st.gks)
	if err != nil {
		return err
	}
	keep := map[Ref]bool{}
	for _, p := range objects {
		keep[p.ref] = true
	}
	var orphans []string
	for _, u := range members {
		ref := refOf(u)
		// Prune never deletes Namespaces and claims.
		if keep[ref] || ref.GroupKind == (schema.GroupKind{Kind: "Namespace"}) || ref.GroupKind == claimGK {
			continue
		}
		orphans = append(orphans, ref.String())
	}
	if len(orphans) == 0 {
		return nil
	}
	names := strings.Join(orphans, ", ")
	if len(orphans) > 5 {
		names = fmt.Sprintf("%s and %d more", strings.Join(orphans[:5], ", "), len(orphans)-5)
	}
	theirs, ours := describeOrigins(st.origin, set.origin)
	if o.Prune && !o.Takeover {
		return optionErrorf("refusing to prune orphan objects (%s) of project %q: ApplySet parent secret/%s in namespace %s was last applied from %s, not from this project's %s; run with %v to prune them, or give this project another name with %v",
			names, set.name, set.name, set.namespace, theirs, ours, OptionTakeover, OptionProject)
	}
	if !o.Prune && o.Warnings != nil {
		fmt.Fprintf(o.Warnings, "Warning: found orphan objects (%s) for project %q, last applied from %s (ApplySet parent secret/%s in namespace %s). If you removed or renamed these services, run hoist up --force to clean them up; if they belong to another project, give this one another name with -p\n",
			names, set.name, theirs, set.name, set.namespace)
	}
	return nil
}

// prune deletes the set's live members that are not in objects, except
// Namespaces.
func (c *Client) prune(ctx context.Context, set *applySet, gks map[schema.GroupKind]bool, objects []prepared, mode DryRun, dryRun []string, warnings io.Writer) ([]Result, map[schema.GroupKind]bool, error) {
	keep := map[Ref]bool{}
	for _, p := range objects {
		keep[p.ref] = true
	}
	members, err := set.members(ctx, c, gks)
	if err != nil {
		return nil, nil, err
	}
	var results []Result
	var statefulSets []*unstructured.Unstructured
	kept := map[schema.GroupKind]bool{}
	for _, u := range members {
		ref := refOf(u)
		if keep[ref] {
			continue
		}
		// Never prune a Namespace: leaving out --create-namespace must not
		// delete everything in it. It stays in the set for hoist delete.
		if ref.GroupKind == (schema.GroupKind{Kind: "Namespace"}) {
			kept[ref.GroupKind] = true
			continue
		}
		// Never prune a claim either: dropping a volume from the compose
		// file must not delete its data (docker compose keeps volumes too).
		// It stays in the set, so hoist delete --volumes removes it.
		if ref.GroupKind == claimGK {
			kept[ref.GroupKind] = true
			if warnings != nil {
				fmt.Fprintf(warnings, "Warning: %s kept, with its data: the project no longer uses it; hoist delete --volumes removes it\n", ref)
			}
			continue
		}
		if mode != DryRunClient {
			m, err := c.mapping(u.GroupVersionKind())
			if err != nil {
				return results, kept, err
			}
			policy := metav1.DeletePropagationBackground
			err = c.retry(ctx, "pruning "+ref.String()+where(ref.Namespace), func(ctx context.Context) error {
				return c.resource(m, u.GetNamespace()).Delete(ctx, u.GetName(), metav1.DeleteOptions{DryRun: dryRun, PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: ptr(u.GetUID())}})
			})
			if errors.Is(err, ErrUnreachable) {
				return results, kept, err
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return results, kept, &ObjectError{Ref: ref, Verb: "pruning", Err: err}
			}
		}
		results = append(results, Result{Ref: ref, Action: Pruned, DryRun: mode})
		if ref.GroupKind == (schema.GroupKind{Group: "apps", Kind: "StatefulSet"}) {
			statefulSets = append(statefulSets, u)
		}
	}
	// Prune leaves the claims a pruned StatefulSet made, as it leaves the
	// claims of dropped named volumes, and records them in the set so that
	// delete --volumes finds them.
	claims, err := c.templateClaims(ctx, c.Namespace, statefulSets)
	if err != nil || len(claims) == 0 {
		return results, kept, err
	}
	if mode == DryRunNone {
		if err := c.adoptClaims(ctx, set, claims, nil); err != nil {
			return results, kept, err
		}
		kept[claimGK] = true
	}
	if warnings != nil {
		for _, ref := range sortedRefs(claims) {
			fmt.Fprintf(warnings, "Warning: %s kept, with its data: statefulset.apps/%s made it from a volumeClaimTemplate; hoist delete --volumes removes it\n", ref, claims[ref])
		}
	}
	return results, kept, nil
}

func union(a, b map[schema.GroupKind]bool) map[schema.GroupKind]bool {
	u := make(map[schema.GroupKind]bool, len(a)+len(b))
	for gk := range a {
		u[gk] = true
	}
	for gk := range b {
		u[gk] = true
	}
	return u
}

func covers(a, b map[schema.GroupKind]bool) bool {
	for gk := range b {
		if !a[gk] {
			return false
		}
	}
	return true
}

func sameGKs(a, b map[schema.GroupKind]bool) bool { return len(a) == len(b) && covers(a, b) }
