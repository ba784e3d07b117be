package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// Diff compares the live objects with what applying objs would make of
// them (a server-side dry run), kubectl diff style: both sides are written
// to two directories and compared by KUBECTL_EXTERNAL_DIFF, else
// "diff -u -N", whose output goes to out. With o.Prune the set's objects
// that applying would prune show as removed. It reports whether anything
// differs. Secret values are masked.
func (c *Client) Diff(ctx context.Context, objs []*unstructured.Unstructured, o Options, out io.Writer) (bool, error) {
	set, objects, err := c.start(ctx, objs, &o)
	if err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp("", "hoist-diff-")
	if err != nil {
		return false, fmt.Errorf("creating diff directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	liveDir, mergedDir := filepath.Join(tmp, "LIVE"), filepath.Join(tmp, "MERGED")
	for _, d := range []string{liveDir, mergedDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return false, fmt.Errorf("creating diff directory: %w", err)
		}
	}

	// The server cannot dry-run objects into a namespace that does not
	// exist yet: with the Namespace among the objects (a first deploy with
	// --create-namespace) they are shown as they would be sent; without,
	// one error says so.
	nsMissing, err := c.namespaceMissing(ctx)
	if err != nil {
		return false, err
	}
	if nsMissing && !slices.ContainsFunc(objects, func(p prepared) bool { return p.ref.GroupKind.Kind == "Namespace" }) {
		return false, optionErrorf("namespace %s does not exist: create it, or let hoist create it (%v)", c.Namespace, OptionCreateNamespace)
	}
	type pair struct{ live, merged *unstructured.Unstructured }
	pairs := make([]pair, len(objects))
	errs := inParallel(ctx, o.Concurrency, len(objects), func(ctx context.Context, i int) error {
		p := objects[i]
		if nsMissing && p.ref.Namespace != "" {
			pairs[i] = pair{merged: p.obj}
			return nil
		}
		r := c.resource(p.mapping, p.obj.GetNamespace())
		var live *unstructured.Unstructured
		err := c.retry(ctx, "reading "+p.ref.String()+where(p.ref.Namespace), func(ctx context.Context) (err error) {
			live, err = r.Get(ctx, p.obj.GetName(), metav1.GetOptions{})
			return err
		})
		if apierrors.IsNotFound(err) {
			live, err = nil, nil
		}
		if errors.Is(err, ErrUnreachable) {
			return err
		}
		if err != nil {
			return &ObjectError{Ref: p.ref, Verb: "reading", Err: err}
		}
		var merged *unstructured.Unstructured
		err = c.retry(ctx, "applying "+p.ref.String()+where(p.ref.Namespace)+" (server dry run)", func(ctx context.Context) (err error) {
			if live != nil && mustReplace(live, p.obj) != "" {
				// apply deletes it and creates it again (a changed Job, a
				// Service gaining or losing its cluster IP): compare with a
				// dry-run create, as an apply onto live would be refused or
				// would not show the new object.
				merged, err = dryRunCreate(ctx, r, p.obj, o.FieldManager)
			} else {
				merged, err = r.Apply(ctx, p.obj.GetName(), p.obj, metav1.ApplyOptions{FieldManager: o.FieldManager, Force: o.Force, DryRun: []string{metav1.DryRunAll}})
			}
			return err
		})
		if errors.Is(err, ErrUnreachable) {
			return err
		}
		if err != nil {
			return &ObjectError{Ref: p.ref, Err: explainImmutable(p, err)}
		}
		pairs[i] = pair{live: live, merged: merged}
		return nil
	})
	if ue := firstUnreachable(errs); ue != nil {
		return false, ue
	}
	if err := errors.Join(errs...); err != nil {
		return false, asConflict(err)
	}
	if !o.Takeover {
		// apply would refuse these: so does its preview.
		live := map[Ref]*unstructured.Unstructured{}
		all := make([]int, len(objects))
		for i, p := range pairs {
			all[i] = i
			if p.live != nil {
				live[objects[i].ref] = p.live
			}
		}
		if err := checkOwners(set, objects, all, live); err != nil {
			return false, err
		}
	}
	for i, p := range pairs {
		if err := writeDiffPair(liveDir, mergedDir, objects[i].obj, p.live, p.merged); err != nil {
			return false, err
		}
	}
	if o.Prune {
		st, err := set.current(ctx, c)
		if err != nil {
			return false, err
		}
		gks := st.gks
		keep := map[Ref]bool{}
		for _, p := range objects {
			keep[p.ref] = true
		}
		members, err := set.members(ctx, c, gks)
		if err != nil {
			return false, err
		}
		for _, u := range members {
			// apply --prune never prunes Namespaces.
			if !keep[refOf(u)] && u.GroupVersionKind().GroupKind() != (schema.GroupKind{Kind: "Namespace"}) {
				if err := writeDiffPair(liveDir, mergedDir, u, u, nil); err != nil {
					return false, err
				}
			}
		}
	}
	return runDiff(ctx, liveDir, mergedDir, out)
}

// dryRunCreate creates obj in a server-side dry run under a generated
// name (its own name is taken by the object it replaces), then puts its
// name back wherever the server copied the generated one (a Job's
// job-name labels).
func dryRunCreate(ctx context.Context, r dynamic.ResourceInterface, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error) {
	u := obj.DeepCopy()
	name := u.GetName()
	u.SetName("")
	u.SetGenerateName(name + "-")
	got, err := r.Create(ctx, u, metav1.CreateOptions{FieldManager: fieldManager, DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return nil, err
	}
	generated := got.GetName()
	got.Object = renameStrings(got.Object, generated, name).(map[string]any)
	unstructured.RemoveNestedField(got.Object, "metadata", "generateName")
	return got, nil
}

// renameStrings replaces every string value equal to from with to.
func renameStrings(v any, from, to string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = renameStrings(e, from, to)
		}
	case []any:
		for i, e := range t {
			t[i] = renameStrings(e, from, to)
		}
	case string:
		if t == from {
			return to
		}
	}
	return v
}

// writeDiffPair writes both sides of one object under kubectl's file name
// group.version.Kind.namespace.name; a missing side writes no file.
func writeDiffPair(liveDir, mergedDir string, id, live, merged *unstructured.Unstructured) error {
	gvk := id.GroupVersionKind()
	name := strings.Join([]string{gvk.Group, gvk.Version, gvk.Kind, id.GetNamespace(), id.GetName()}, ".")
	name = strings.TrimPrefix(name, ".")
	maskSecrets(live, merged)
	for _, side := range []struct {
		dir string
		obj *unstructured.Unstructured
	}{{liveDir, live}, {mergedDir, merged}} {
		if side.obj == nil {
			continue
		}
		b, err := yaml.Marshal(cleanForDiff(side.obj))
		if err != nil {
			return fmt.Errorf("%s: %w", refOf(id), err)
		}
		if err := os.WriteFile(filepath.Join(side.dir, name), b, 0o600); err != nil {
			return fmt.Errorf("writing diff file: %w", err)
		}
	}
	return nil
}

// cleanForDiff drops what changes on every write and says nothing.
func cleanForDiff(u *unstructured.Unstructured) map[string]any {
	u = u.DeepCopy()
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "creationTimestamp"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "annotations", AnnotationAppliedHash)
	if len(u.GetAnnotations()) == 0 {
		unstructured.RemoveNestedField(u.Object, "metadata", "annotations")
	}
	return u.Object
}

// maskSecrets replaces Secret values as kubectl diff does: "***" when equal,
// "*** (before)" and "*** (after)" when they differ.
func maskSecrets(live, merged *unstructured.Unstructured) {
	isSecret := func(u *unstructured.Unstructured) bool {
		return u != nil && u.GetKind() == "Secret" && u.GroupVersionKind().Group == ""
	}
	if !isSecret(live) && !isSecret(merged) {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		var l, m map[string]any
		if live != nil {
			l, _, _ = unstructured.NestedMap(live.Object, field)
		}
		if merged != nil {
			m, _, _ = unstructured.NestedMap(merged.Object, field)
		}
		for k, lv := range l {
			if mv, ok := m[k]; ok && mv != lv {
				l[k], m[k] = "*** (before)", "*** (after)"
			} else {
				l[k] = "***"
				if ok {
					m[k] = "***"
				}
			}
		}
		for k := range m {
			if _, ok := l[k]; !ok {
				m[k] = "***"
			}
		}
		if l != nil {
			_ = unstructured.SetNestedMap(live.Object, l, field)
		}
		if m != nil {
			_ = unstructured.SetNestedMap(merged.Object, m, field)
		}
	}
}

// runDiff runs KUBECTL_EXTERNAL_DIFF (else "diff -u -N") on the two
// directories: exit 0 means equal, 1 different, anything else an error.
func runDiff(ctx context.Context, from, to string, out io.Writer) (bool, error) {
	args := []string{"diff", "-u", "-N"}
	if ext := strings.Fields(os.Getenv("KUBECTL_EXTERNAL_DIFF")); len(ext) > 0 {
		args = ext
	}
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], from, to)...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		return true, nil
	}
	return false, fmt.Errorf("running %s: %w", args[0], err)
}

// namespaceMissing reports whether the client's namespace does not exist.
func (c *Client) namespaceMissing(ctx context.Context) (bool, error) {
	op := "reading namespace " + c.Namespace
	err := c.retry(ctx, op, func(ctx context.Context) error {
		_, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, c.Namespace, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return true, nil
	case apierrors.IsForbidden(err):
		// Not allowed to read it: the dry runs will tell.
		return false, nil
	case err != nil:
		return false, withOp(op, err)
	}
	return false, nil
}
