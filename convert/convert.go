package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Result is what a conversion produces.
type Result struct {
	// Objects are in the total order of Sort.
	Objects []*unstructured.Unstructured
	// Warnings are in service order, then in the order keys were handled.
	Warnings []Warning
}

// Convert turns a loaded compose project into Kubernetes objects.
func Convert(project *types.Project, opts Options) (*Result, error) {
	c := &converter{project: project, opts: opts, plan: &plan{names: map[string]string{}}}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if opts.CreateNamespace {
		ns := &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace, Labels: map[string]string{LabelPartOf: c.partOf, LabelManagedBy: ManagedBy}},
		}
		c.add(ns)
	}
	if err := c.makePlan(); err != nil {
		return nil, err
	}
	for _, name := range project.ServiceNames() {
		if c.plan.podOf(name) != name {
			// Converted into the pod of the service whose network it joins.
			continue
		}
		svc := project.Services[name]
		if err := c.service(&svc); err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
	}
	// Top-level jobs are pods like services', then the project-level
	// objects, which may depend on what every pod uses.
	for _, step := range []func() error{c.jobs, c.projectStorage, c.projectConfigs, c.networkPolicies} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if len(project.Models) > 0 {
		c.drop("", "models", "compose models are not supported by Kubernetes, dropped")
	}
	if c.err != nil {
		return nil, c.err
	}
	if err := configHashes(c.objects); err != nil {
		return nil, err
	}
	jobs := make(map[string]bool, len(c.plan.jobs))
	for name := range c.plan.jobs {
		jobs[labelValue(name)] = true
	}
	if err := checkObjects(c.objects, jobs); err != nil {
		return nil, err
	}
	Sort(c.objects)
	return &Result{Objects: c.objects, Warnings: c.warnings}, nil
}

// converter is one conversion: its input, the plan decided up front,
// each area's state collected while services are converted, and the
// output.
type converter struct {
	project *types.Project
	opts    Options
	partOf  string
	projExt any
	// plan is what Convert decided about the whole project up front
	// (plan.go); the steps read it.
	plan *plan
	// store is what the storage, config and secret steps collect
	// (storage.go).
	store *storeState
	// net is what the network steps collect (network.go).
	net      networkState
	objects  []*unstructured.Unstructured
	warnings warningList
	err      error
}

func (c *converter) validate() error {
	p := c.project
	c.partOf = labelValue(p.Name)
	if err := c.opts.Validate(); err != nil {
		return err
	}
	if len(p.Name) > validation.LabelValueMaxLength {
		c.warn("", "name", "approximated: the project name has %d characters; the label %s carries its first %d, %q, which another project's name can share", len(p.Name), LabelPartOf, validation.LabelValueMaxLength, c.partOf)
	}
	owner := map[string]string{}
	for _, name := range p.ServiceNames() {
		n, err := ObjectName(name)
		if err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		if err := needLetter(fmt.Sprintf("service %q", name), "Service", n); err != nil {
			return err
		}
		svc := p.Services[name]
		if err := checkNumbers(&svc); err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		if err := c.checkFields(&svc); err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		if other, ok := owner[n]; ok {
			return invalidf("services %q and %q: both become the Kubernetes name %q; rename one", other, name, n)
		}
		owner[n] = name
		c.plan.names[name] = n
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		j := p.Jobs[name]
		job := jobService(name, &j)
		if err := checkNumbers(&job); err != nil {
			return fmt.Errorf("job %q: %w", name, err)
		}
		if err := c.checkFields(&job); err != nil {
			return fmt.Errorf("job %q: %w", name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.opts.Autoscale)) {
		if _, ok := p.Services[name]; !ok {
			return invalidf("autoscale: no service %q in project %q (services: %s)", name, p.Name, strings.Join(p.ServiceNames(), ", "))
		}
	}
	if raw, ok := p.Extensions[ExtensionKey]; ok {
		if _, err := decodeExtension(raw); err != nil {
			return fmt.Errorf("project: %w", err)
		}
		c.projExt = raw
	}
	return validateVolumeExtensions(p)
}

// warn records an approximation: the key is mapped, but not exactly.
func (c *converter) warn(service, key, format string, args ...any) {
	c.warnings.warn(service, key, format, args...)
}

// drop records a key that has no effect on the output.
func (c *converter) drop(service, key, format string, args ...any) {
	c.warnings.drop(service, key, format, args...)
}

// dropPart records a part of a key that has no effect on the output, while
// the rest of the key has (the report calls the key approximated).
func (c *converter) dropPart(service, key, format string, args ...any) {
	c.warnings.dropPart(service, key, format, args...)
}

// add converts a typed object to its unstructured form, without status and
// creationTimestamp, and keeps it.
func (c *converter) add(obj runtime.Object) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		// Only a bug in hoist can make a typed object unconvertible.
		if c.err == nil {
			c.err = fmt.Errorf("converting %T: %w", obj, err)
		}
		return
	}
	delete(m, "status")
	dropEmpty(m)
	c.objects = append(c.objects, &unstructured.Unstructured{Object: compact(m)})
}

// dropEmpty removes what typed objects always serialise but say nothing:
// the null creationTimestamp of object and template metadata, and empty
// strategy, resources and (claim template) status blocks. Other empty maps, like emptyDir: {}, carry
// meaning and stay.
func dropEmpty(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			if k == "creationTimestamp" {
				delete(m, k)
			}
		case map[string]any:
			if len(v) == 0 && (k == "strategy" || k == "updateStrategy" || k == "resources" || k == "spec" || k == "status") {
				delete(m, k)
				continue
			}
			dropEmpty(v)
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					dropEmpty(em)
				}
			}
		}
	}
}

// svcCtx carries what the parts of one service's conversion share.
type svcCtx struct {
	svc  *types.ServiceConfig
	name string // object name
	ext  Extension
	// autoscaleKey is the key that set ext.Autoscale when it is not
	// x-kubernetes.autoscale (kompose's labels), for messages.
	autoscaleKey string
	selector     map[string]string
	labels       map[string]string // standard labels of every object of the service
	ports        []svcPort
	// published are the ports compose publishes on the host, and
	// publishWarnings what publishing them approximates (kept when a
	// NodePort or LoadBalancer Service publishes them).
	published       []publishedPort
	publishWarnings warningList
	// hostOnly are the ports compose publishes on a loopback host_ip
	// (for this host only), which hoist does not publish: one
	// "host_ip:published:target" each.
	hostOnly []publishedPort
	// kind is the workload kind: Deployment, DaemonSet, StatefulSet or Job.
	kind string
	// claims are the PersistentVolumeClaims the pod mounts, for the update
	// strategy (Recreate when one is ReadWriteOnce).
	claims []claimUse
	// claimTemplates are a StatefulSet's own volumes, one claim per pod.
	claimTemplates []corev1.PersistentVolumeClaim
	// podLabels are extra pod template labels the steps add, such as
	// network membership for NetworkPolicies.
	podLabels map[string]string
}

// claimUse is one PersistentVolumeClaim a pod mounts.
type claimUse struct {
	name          string
	readWriteOnce bool
	// unknownMode: an external claim whose access mode is not declared.
	unknownMode bool
}

func (c *converter) objectMeta(s *svcCtx, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: c.opts.Namespace, Labels: maps.Clone(s.labels)}
}

func (c *converter) service(svc *types.ServiceConfig) error {
	s, pod, meta, err := c.pod(svc, nil)
	if err != nil {
		return err
	}
	// Services that join this one's network (network_mode: service:<this>)
	// are containers of its pod.
	if err := c.sidecars(s, &pod); err != nil {
		return err
	}

	replicas := c.replicas(svc)
	hpa, err := c.autoscaler(s, replicas, &pod.Spec.Containers[0].Resources)
	if err != nil {
		return err
	}
	if err := c.workload(s, meta, pod, replicas, hpa); err != nil {
		return err
	}
	if hpa != nil {
		c.add(hpa)
	}
	if isJobKind(s.kind) {
		// A run-to-completion pod serves nothing: no Service, no aliases.
		return nil
	}
	if err := c.kubeService(s); err != nil {
		return err
	}
	return c.serviceNetwork(s)
}

// pod runs the per-service steps and returns the service's context, its
// pod template and the workload's metadata. owner is nil for a service that
// gets its own workload; for a service that joins another's pod it is the
// owner's context, whose workload kind and selector the steps see.
func (c *converter) pod(svc *types.ServiceConfig, owner *svcCtx) (*svcCtx, corev1.PodTemplateSpec, metav1.ObjectMeta, error) {
	var pod corev1.PodTemplateSpec
	svc = c.samePodDeps(svc)
	svc = c.rewriteRenamed(svc)
	ext, err := c.serviceExtension(svc)
	if err != nil {
		return nil, pod, metav1.ObjectMeta{}, err
	}
	name := c.plan.names[svc.Name]
	s := &svcCtx{
		svc:      svc,
		name:     name,
		ext:      ext,
		selector: map[string]string{LabelName: name, LabelPartOf: c.partOf},
	}
	s.labels = map[string]string{LabelName: name, LabelPartOf: c.partOf, LabelManagedBy: ManagedBy}

	c.checkKeys(svc)
	if err := c.komposeLabels(s); err != nil {
		return nil, pod, metav1.ObjectMeta{}, err
	}

	if owner != nil {
		s.kind, s.selector = owner.kind, owner.selector
	} else if s.kind, err = c.workloadKind(s); err != nil {
		return nil, pod, metav1.ObjectMeta{}, err
	}

	ctr, err := c.container(s)
	if err != nil {
		return nil, pod, metav1.ObjectMeta{}, err
	}
	podLabels, podAnnotations, wlLabels, wlAnnotations := c.metadata(s)
	pod = corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: podAnnotations},
		Spec: corev1.PodSpec{
			Containers:         []corev1.Container{ctr},
			NodeSelector:       ext.NodeSelector,
			Tolerations:        ext.Tolerations,
			ServiceAccountName: ext.ServiceAccount,
		},
	}
	for _, ps := range ext.ImagePullSecrets {
		pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: ps})
	}
	if g := svc.StopGracePeriod; g != nil {
		secs := ceilSeconds(*g)
		pod.Spec.TerminationGracePeriodSeconds = &secs
	}
	// Each step adds its part of the pod; the container is
	// pod.Spec.Containers[0].
	for _, step := range []func(*svcCtx, *corev1.PodSpec) error{
		c.storage,        // volumes, tmpfs, shm_size, volumes_from
		c.configsSecrets, // configs, secrets, secret-looking environment
		c.security,       // securityContext
		c.podNetwork,     // extra_hosts, dns, hostname
		c.dependsOn,      // wait init containers
		c.podWorkload,    // lifecycle hooks, placement, platform, host namespaces
	} {
		if err := step(s, &pod.Spec); err != nil {
			return nil, pod, metav1.ObjectMeta{}, err
		}
	}

	for k, v := range s.podLabels {
		pod.Labels[k] = v
	}
	meta := c.objectMeta(s, name)
	meta.Labels, meta.Annotations = wlLabels, wlAnnotations
	return s, pod, meta, nil
}

// checkKeys warns about every key the service sets that this version does
// not convert. Mapped keys warn in their own handlers.
func (c *converter) checkKeys(svc *types.ServiceConfig) {
	for _, key := range presentKeys(svc) {
		rule, ok := serviceKeys[key]
		switch {
		case !ok:
			c.drop(svc.Name, key, "not supported by hoist, dropped")
		case rule.status == keyDropped:
			c.drop(svc.Name, key, "%s, dropped", rule.to)
		}
	}
}

func onlyDefaultNetwork(svc *types.ServiceConfig) bool {
	if len(svc.Networks) != 1 {
		return false
	}
	n, ok := svc.Networks["default"]
	return ok && (n == nil || (len(n.Aliases) == 0 && n.Ipv4Address == "" && n.Ipv6Address == ""))
}

// metadata splits compose labels into Kubernetes labels and annotations for
// the pod template and the workload.
func (c *converter) metadata(s *svcCtx) (podLabels, podAnn, wlLabels, wlAnn map[string]string) {
	svc := s.svc
	podLabels = maps.Clone(s.labels)
	podAnn = map[string]string{}
	put := func(key, labelKey, value string, labels, ann map[string]string) {
		if _, reserved := s.labels[labelKey]; reserved {
			c.drop(svc.Name, key+"."+labelKey, "ignored: hoist sets this label")
			return
		}
		if !putLabel(labels, ann, labelKey, value) {
			c.drop(svc.Name, key+"."+labelKey, "not a valid Kubernetes label or annotation key, dropped")
			return
		}
		c.warnPlainValue(svc.Name, key+"."+labelKey, "a label or annotation", value)
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if !isKomposeLabel(k) {
			put("labels", k, svc.Labels[k], podLabels, podAnn)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.ext.Labels)) {
		put(ExtensionKey+".labels", k, s.ext.Labels[k], podLabels, podAnn)
	}
	annotate := func(key string, m map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				c.drop(svc.Name, key+"."+k, "not a valid Kubernetes annotation key, dropped")
				continue
			}
			podAnn[k] = m[k]
			c.warnPlainValue(svc.Name, key+"."+k, "an annotation", m[k])
		}
	}
	annotate("annotations", svc.Annotations)
	annotate(ExtensionKey+".annotations", s.ext.Annotations)

	wlLabels = maps.Clone(podLabels)
	wlAnn = maps.Clone(podAnn)
	if d := svc.Deploy; d != nil {
		for _, k := range slices.Sorted(maps.Keys(d.Labels)) {
			put("deploy.labels", k, d.Labels[k], wlLabels, wlAnn)
		}
	}
	return podLabels, nilIfEmpty(podAnn), wlLabels, nilIfEmpty(wlAnn)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// replicas is --replicas, else deploy.replicas, else scale, else 1.
func (c *converter) replicas(svc *types.ServiceConfig) int32 {
	switch {
	case c.opts.Replicas != nil:
		return *c.opts.Replicas
	case svc.Deploy != nil && svc.Deploy.Replicas != nil:
		return int32(*svc.Deploy.Replicas)
	case svc.Scale != nil:
		return int32(*svc.Scale)
	}
	return 1
}
