package apply

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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

// Annotations hoist adds to the ApplySet parent: where the project was last
// applied from (see Origin).
const (
	AnnotationProjectID    = "hoist.dev/project-id"
	AnnotationProjectDir   = "hoist.dev/project-dir"
	AnnotationProjectFiles = "hoist.dev/project-files"
	// AnnotationProjectName is the compose project name as written
	// (my_app), which the parent's name normalises (my-app).
	AnnotationProjectName = "hoist.dev/project-name"
)

// Origin is where a project is applied from: its absolute directory and its
// compose files (absolute paths, "-" for stdin), what docker compose
// records on containers as com.docker.compose.project.working_dir and
// com.docker.compose.project.config_files. Two projects of the same name
// in one namespace share one ApplySet; their Origins tell them apart.
type Origin struct {
	Dir   string
	Files []string
	// Project is the compose project name as given (my_app), which the
	// ApplySet parent's name normalises: two names that normalise alike
	// (my_app, my-app) are two projects. It is not part of ID, so that
	// parents recorded before it keep their identity.
	Project string
}

// ID is the Origin's identity: hex sha256 of the directory and the files,
// one per line, cut to 32 characters; "" for a zero Origin.
func (o Origin) ID() string {
	if o.Dir == "" && len(o.Files) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(append([]string{o.Dir}, o.Files...), "\n")))
	return hex.EncodeToString(sum[:])[:32]
}

// ToolName is the name part of the ApplySet tooling annotation hoist writes.
const ToolName = "hoist"

// applySet is the parent Secret that records which kinds hoist applied for
// one project in one namespace; its members carry the part-of label.
type applySet struct {
	name, namespace string
	tooling         string
	fieldManager    string
	// origin is recorded in the parent; a zero origin keeps the recorded one.
	origin Origin
}

// parentState is what the live parent records.
type parentState struct {
	gks    map[schema.GroupKind]bool
	exists bool
	// origin is where the set was last applied from; its ID is the
	// recorded hoist.dev/project-id ("" when a parent predates it).
	origin   Origin
	originID string
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

// current reads the parent and returns the group kinds and the origin it
// records; a missing parent (or namespace) records none. A Secret of that
// name that is not a hoist ApplySet parent is an error, so hoist never
// adopts someone else's object. When a's own origin is unknown, it takes
// the recorded one, so that writing the parent keeps it.
func (a *applySet) current(ctx context.Context, c *Client) (parentState, error) {
	op := "reading ApplySet parent secret/" + a.name + where(a.namespace)
	var u *unstructured.Unstructured
	err := c.retry(ctx, op, func(ctx context.Context) (err error) {
		u, err = c.dyn.Resource(secretGVR).Namespace(a.namespace).Get(ctx, a.name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return parentState{gks: map[schema.GroupKind]bool{}}, nil
	}
	if err != nil {
		return parentState{}, withOp(op, err)
	}
	if id := u.GetLabels()[LabelApplySetID]; id != a.ID() {
		return parentState{}, optionErrorf("secret/%s in namespace %s exists but is not this project's ApplySet parent (label %s=%q); rename the project with %v", a.name, a.namespace, LabelApplySetID, id, OptionProject)
	}
	ann := u.GetAnnotations()
	if t := ann[AnnotationTooling]; !strings.HasPrefix(t, ToolName+"/") {
		return parentState{}, fmt.Errorf("secret/%s in namespace %s is an ApplySet managed by %q, not hoist", a.name, a.namespace, t)
	}
	st := parentState{gks: parseGroupKinds(ann[AnnotationContainsGKs]), exists: true, originID: ann[AnnotationProjectID]}
	st.origin.Dir = ann[AnnotationProjectDir]
	st.origin.Project = ann[AnnotationProjectName]
	if f := ann[AnnotationProjectFiles]; f != "" {
		st.origin.Files = strings.Split(f, ",")
	}
	if a.origin.ID() == "" && st.originID != "" {
		// Keep the name given (-p without a compose file): foreign
		// compares it with the recorded one.
		name := a.origin.Project
		a.origin = st.origin
		if name != "" {
			a.origin.Project = name
		}
	}
	return st, nil
}

// originChanged reports whether writing the parent would record another
// origin than st's.
func (a *applySet) originChanged(st parentState) bool {
	id := a.origin.ID()
	return id != "" && (id != st.originID || a.origin.Project != st.origin.Project)
}

// foreign reports whether the parent was last applied by another project
// than a's: one whose recorded name differs (both known), or from another
// origin; unknown origins (a parent that predates the annotations, a
// command given only a project name) are not foreign by origin.
func (a *applySet) foreign(st parentState) bool {
	if !st.exists {
		return false
	}
	if st.origin.Project != "" && a.origin.Project != "" && st.origin.Project != a.origin.Project {
		// my_app and my-app: one parent name, two projects.
		return true
	}
	return st.originID != "" && a.origin.ID() != "" && st.originID != a.origin.ID()
}

// describeOrigins names two origins apart: their directories, or, when
// they share one, their files.
func describeOrigins(a, b Origin) (string, string) {
	if a.Project != b.Project && a.Project != "" && b.Project != "" {
		return fmt.Sprintf("project %q in %s", a.Project, a.Dir), fmt.Sprintf("project %q in %s", b.Project, b.Dir)
	}
	if a.Dir != b.Dir {
		return a.Dir, b.Dir
	}
	files := func(o Origin) string {
		var l []string
		for _, f := range o.Files {
			if rel, err := filepath.Rel(o.Dir, f); err == nil && !strings.HasPrefix(rel, "..") {
				f = rel
			}
			l = append(l, f)
		}
		return fmt.Sprintf("%s (files %s)", o.Dir, strings.Join(l, ", "))
	}
	return files(a), files(b)
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
	if id := a.origin.ID(); id != "" {
		ann := parent.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
		ann[AnnotationProjectID] = id
		ann[AnnotationProjectDir] = a.origin.Dir
		ann[AnnotationProjectFiles] = strings.Join(a.origin.Files, ",")
		if a.origin.Project != "" {
			ann[AnnotationProjectName] = a.origin.Project
		}
	}
	op := "writing ApplySet parent secret/" + a.name + where(a.namespace)
	err := c.retry(ctx, op, func(ctx context.Context) error {
		_, err := c.dyn.Resource(secretGVR).Namespace(a.namespace).Apply(ctx, a.name, parent, metav1.ApplyOptions{FieldManager: a.fieldManager, Force: true, DryRun: dryRun})
		return err
	})
	if err != nil {
		return withOp(op, err)
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
		if gk == (schema.GroupKind{Kind: "Namespace"}) {
			// The one namespace a project can hold is its own: read it by
			// name, which a user with rights in that namespace alone may,
			// rather than list every namespace of the cluster.
			ns, err := a.ownNamespace(ctx, c, m)
			if err != nil {
				return nil, err
			}
			if ns != nil {
				out = append(out, ns)
			}
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

// ownNamespace is the set's namespace when it is a member (hoist created
// it), else nil.
func (a *applySet) ownNamespace(ctx context.Context, c *Client, m *meta.RESTMapping) (*unstructured.Unstructured, error) {
	op := "reading namespace " + a.namespace
	var u *unstructured.Unstructured
	err := c.retry(ctx, op, func(ctx context.Context) (err error) {
		u, err = c.dyn.Resource(m.Resource).Get(ctx, a.namespace, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, withOp(op, err)
	}
	if u.GetLabels()[LabelApplySetPartOf] != a.ID() {
		return nil, nil
	}
	return u, nil
}

func sortedGroupKinds(gks map[schema.GroupKind]bool) []schema.GroupKind {
	l := make([]schema.GroupKind, 0, len(gks))
	for gk := range gks {
		l = append(l, gk)
	}
	sort.Slice(l, func(i, j int) bool { return l[i].String() < l[j].String() })
	return l
}
