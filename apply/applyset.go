package apply

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ApplySet labels and annotations (KEP-3659), as kubectl writes them.
const (
	LabelApplySetID           = "applyset.kubernetes.io/id"
	LabelApplySetPartOf       = "applyset.kubernetes.io/part-of"
	AnnotationTooling         = "applyset.kubernetes.io/tooling"
	AnnotationContainsGKs     = "applyset.kubernetes.io/contains-group-kinds"
	AnnotationAdditionalNames = "applyset.kubernetes.io/additional-namespaces"
)

// ToolName is the name part of the ApplySet tooling annotation hoist writes.
const ToolName = "hoist"

// applySet is the parent Secret that records which kinds hoist applied for
// one project in one namespace; its members carry the part-of label.
type applySet struct {
	name, namespace string
	tooling         string
	fieldManager    string
}

func newApplySet(project, namespace, tooling, fieldManager string) *applySet {
	return &applySet{name: project, namespace: namespace, tooling: tooling, fieldManager: fieldManager + "-applyset"}
}

// ID is kubectl's ApplySet ID for a Secret parent:
// applyset-<base64url(sha256(name.namespace.Secret.))>-v1.
func (a *applySet) ID() string {
	sum := sha256.Sum256([]byte(strings.Join([]string{a.name, a.namespace, "Secret", ""}, ".")))
	return fmt.Sprintf("applyset-%s-v1", base64.RawURLEncoding.EncodeToString(sum[:]))
}

var secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// current reads the parent and returns the group kinds it records; a
// missing parent records none. A Secret of that name that is not a hoist
// ApplySet parent is an error, so hoist never adopts someone else's object.
func (a *applySet) current(ctx context.Context, c *Client) (map[schema.GroupKind]bool, bool, error) {
	u, err := c.dyn.Resource(secretGVR).Namespace(a.namespace).Get(ctx, a.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return map[schema.GroupKind]bool{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading ApplySet parent secret/%s in namespace %s: %w", a.name, a.namespace, err)
	}
	if id := u.GetLabels()[LabelApplySetID]; id != a.ID() {
		return nil, false, fmt.Errorf("secret/%s in namespace %s exists but is not this project's ApplySet parent (label %s=%q); rename the project with -p", a.name, a.namespace, LabelApplySetID, id)
	}
	if t := u.GetAnnotations()[AnnotationTooling]; !strings.HasPrefix(t, ToolName+"/") {
		return nil, false, fmt.Errorf("secret/%s in namespace %s is an ApplySet managed by %q, not hoist", a.name, a.namespace, t)
	}
	return parseGroupKinds(u.GetAnnotations()[AnnotationContainsGKs]), true, nil
}

func parseGroupKinds(s string) map[schema.GroupKind]bool {
	gks := map[schema.GroupKind]bool{}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			gks[schema.ParseGroupKind(e)] = true
		}
	}
	return gks
}

// formatGroupKinds writes group kinds as kubectl does: Kind.group, sorted.
func formatGroupKinds(gks map[schema.GroupKind]bool) string {
	var l []string
	for gk := range gks {
		s := gk.Kind
		if gk.Group != "" {
			s += "." + gk.Group
		}
		l = append(l, s)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// write applies the parent Secret recording gks.
func (a *applySet) write(ctx context.Context, c *Client, gks map[schema.GroupKind]bool, dryRun []string) error {
	parent := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"type":       "Opaque",
		"metadata": map[string]any{
			"name":      a.name,
			"namespace": a.namespace,
			"labels":    map[string]any{LabelApplySetID: a.ID()},
			"annotations": map[string]any{
				AnnotationTooling:     a.tooling,
				AnnotationContainsGKs: formatGroupKinds(gks),
				// All members live in the parent's namespace (or are
				// cluster-scoped); kubectl writes the key even when empty.
				AnnotationAdditionalNames: "",
			},
		},
	}}
	_, err := c.dyn.Resource(secretGVR).Namespace(a.namespace).Apply(ctx, a.name, parent, metav1.ApplyOptions{FieldManager: a.fieldManager, Force: true, DryRun: dryRun})
	if err != nil {
		return fmt.Errorf("writing ApplySet parent secret/%s in namespace %s: %w", a.name, a.namespace, err)
	}
	return nil
}

// members lists the live objects that carry this set's part-of label, for
// each of the group kinds.
func (a *applySet) members(ctx context.Context, c *Client, gks map[schema.GroupKind]bool) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	sel := LabelApplySetPartOf + "=" + a.ID()
	for _, gk := range sortedGroupKinds(gks) {
		m, err := c.mapper.RESTMapping(gk)
		if err != nil {
			// A kind whose API is gone has no members left to find.
			continue
		}
		items, err := c.list(ctx, m, a.namespace, sel)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func sortedGroupKinds(gks map[schema.GroupKind]bool) []schema.GroupKind {
	l := make([]schema.GroupKind, 0, len(gks))
	for gk := range gks {
		l = append(l, gk)
	}
	sort.Slice(l, func(i, j int) bool { return l[i].String() < l[j].String() })
	return l
}
