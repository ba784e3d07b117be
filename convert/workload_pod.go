package convert

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Well-known node labels.
const (
	nodeLabelHostname     = "kubernetes.io/hostname"
	nodeLabelOS           = "kubernetes.io/os"
	nodeLabelArch         = "kubernetes.io/arch"
	nodeLabelControlPlane = "node-role.kubernetes.io/control-plane"
)

// podWorkload sets lifecycle hooks, placement, platform and host namespaces.
func (c *converter) podWorkload(s *svcCtx, pod *corev1.PodSpec) error {
	if err := c.preStart(s, pod); err != nil {
		return err
	}
	if err := c.lifecycle(s, &pod.Containers[0]); err != nil {
		return err
	}
	if err := c.placement(s, pod); err != nil {
		return err
	}
	c.platform(s, pod)
	c.namespaces(s, pod)
	return nil
}

// nodeSelector sets one nodeSelector entry; an entry already set to another
// value (by x-kubernetes.nodeSelector or an earlier key) wins.
func (c *converter) nodeSelector(s *svcCtx, pod *corev1.PodSpec, key, label, value string) {
	if old, ok := pod.NodeSelector[label]; ok {
		if old != value {
			c.drop(s.svc.Name, key, "ignored: nodeSelector %s is already %q", label, old)
		}
		return
	}
	m := maps.Clone(pod.NodeSelector) // never write into the extension's map
	if m == nil {
		m = map[string]string{}
	}
	m[label] = value
	pod.NodeSelector = m
}

// nodeRequirement adds a required node affinity expression. All
// expressions are ANDed in one term.
func nodeRequirement(pod *corev1.PodSpec, req corev1.NodeSelectorRequirement) {
	if pod.Affinity == nil {
		pod.Affinity = &corev1.Affinity{}
	}
	if pod.Affinity.NodeAffinity == nil {
		pod.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := pod.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}
	}
	t := &na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0]
	if !slices.ContainsFunc(t.MatchExpressions, func(e corev1.NodeSelectorRequirement) bool { return reflect.DeepEqual(e, req) }) {
		t.MatchExpressions = append(t.MatchExpressions, req)
	}
}

// normArch maps the architecture names Docker reports to Kubernetes'.
func normArch(a string) string {
	switch strings.ToLower(a) {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return strings.ToLower(a)
}

// placement maps deploy.placement: constraints to nodeSelector and node
// affinity, preferences and max_replicas_per_node to topology spread.
func (c *converter) placement(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if svc.Deploy == nil {
		return nil
	}
	p := svc.Deploy.Placement
	for i, con := range p.Constraints {
		key := fmt.Sprintf("deploy.placement.constraints[%d]", i)
		op, lhs, rhs := "", "", ""
		for _, o := range []string{"==", "!="} {
			if l, r, ok := strings.Cut(con, o); ok {
				op, lhs, rhs = o, strings.TrimSpace(l), strings.TrimSpace(r)
				break
			}
		}
		if op == "" || lhs == "" {
			return invalidf("%s: %q: want <attribute>==<value> or <attribute>!=<value>", key, con)
		}
		label, value := "", rhs
		switch {
		case strings.HasPrefix(lhs, "node.labels."):
			label = strings.TrimPrefix(lhs, "node.labels.")
		case lhs == "node.hostname":
			label = nodeLabelHostname
		case lhs == "node.platform.os":
			label, value = nodeLabelOS, strings.ToLower(rhs)
		case lhs == "node.platform.arch":
			label, value = nodeLabelArch, normArch(rhs)
		case lhs == "node.role":
			manager := (rhs == "manager") == (op == "==")
			if rhs != "manager" && rhs != "worker" {
				return invalidf("%s: %q: node.role is manager or worker", key, con)
			}
			if manager {
				c.warn(svc.Name, key, "approximated: %q runs on control-plane nodes (label %s), tolerating their taint", con, nodeLabelControlPlane)
				nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: nodeLabelControlPlane, Operator: corev1.NodeSelectorOpExists})
				tol := corev1.Toleration{Key: nodeLabelControlPlane, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
				if !slices.Contains(pod.Tolerations, tol) {
					pod.Tolerations = append(slices.Clip(pod.Tolerations), tol)
				}
			} else {
				c.warn(svc.Name, key, "approximated: %q runs on nodes without the label %s", con, nodeLabelControlPlane)
				nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: nodeLabelControlPlane, Operator: corev1.NodeSelectorOpDoesNotExist})
			}
			continue
		default:
			c.drop(svc.Name, key, "%q: only node.labels.*, node.hostname, node.role and node.platform.* have a Kubernetes equivalent, dropped", con)
			continue
		}
		if errs := validation.IsQualifiedName(label); len(errs) > 0 {
			return invalidf("%s: %q: %q is not a valid Kubernetes label key: %s", key, con, label, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			return invalidf("%s: %q: %q is not a valid Kubernetes label value: %s", key, con, value, strings.Join(errs, "; "))
		}
		if op == "==" {
			c.nodeSelector(s, pod, key, label, value)
		} else {
			nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: label, Operator: corev1.NodeSelectorOpNotIn, Values: []string{value}})
		}
	}

	spread := func(key, topologyKey string, skew int32, when corev1.UnsatisfiableConstraintAction) {
		if s.kind == kindDaemonSet {
			c.drop(svc.Name, key, "a DaemonSet runs one pod on every node, dropped")
			return
		}
		honor := corev1.NodeInclusionPolicyHonor
		tsc := corev1.TopologySpreadConstraint{
			MaxSkew:           skew,
			TopologyKey:       topologyKey,
			WhenUnsatisfiable: when,
			LabelSelector:     &metav1.LabelSelector{MatchLabels: s.selector},
			NodeTaintsPolicy:  &honor,
		}
		if s.kind == kindDeployment {
			// Count only the pods of the current revision during a rollout.
			tsc.MatchLabelKeys = []string{"pod-template-hash"}
		}
		pod.TopologySpreadConstraints = append(pod.TopologySpreadConstraints, tsc)
	}
	for i, pref := range p.Preferences {
		key := fmt.Sprintf("deploy.placement.preferences[%d].spread", i)
		label, ok := strings.CutPrefix(pref.Spread, "node.labels.")
		if !ok || len(validation.IsQualifiedName(label)) > 0 {
			c.drop(svc.Name, key, "%q: only node.labels.<label> can be spread over, dropped", pref.Spread)
			continue
		}
		spread(key, label, 1, corev1.ScheduleAnyway)
	}
	if n := p.MaxReplicas; n > 0 {
		key := "deploy.placement.max_replicas_per_node"
		if s.kind != kindDaemonSet {
			c.warn(svc.Name, key, "approximated: pods are spread over nodes (kubernetes.io/hostname) with a skew of at most %d, which limits the difference between nodes, not the count per node", n)
		}
		spread(key, nodeLabelHostname, int32(n), corev1.DoNotSchedule)
	}
	return nil
}

// platform maps platform os/arch[/variant] to nodeSelector.
func (c *converter) platform(s *svcCtx, pod *corev1.PodSpec) {
	p := s.svc.Platform
	if p == "" {
		return
	}
	parts := strings.Split(strings.ToLower(p), "/")
	c.nodeSelector(s, pod, "platform", nodeLabelOS, parts[0])
	if len(parts) > 1 && parts[1] != "" {
		c.nodeSelector(s, pod, "platform", nodeLabelArch, normArch(parts[1]))
	}
	if len(parts) > 2 {
		c.warn(s.svc.Name, "platform", "approximated: the variant %q is not a node label; any %s node is picked", strings.Join(parts[2:], "/"), normArch(parts[1]))
	}
}

// namespaceTarget is the service a service:X or container:X value names.
func (c *converter) namespaceTarget(v string) (string, bool) {
	if t, ok := strings.CutPrefix(v, types.ServicePrefix); ok {
		return t, true
	}
	if cn, ok := strings.CutPrefix(v, types.ContainerPrefix); ok {
		for _, name := range c.project.ServiceNames() {
			if c.project.Services[name].ContainerName == cn {
				return name, true
			}
		}
		return cn, true
	}
	return "", false
}

// namespaces maps network_mode, pid and ipc.
func (c *converter) namespaces(s *svcCtx, pod *corev1.PodSpec) {
	svc := s.svc
	switch nm := svc.NetworkMode; {
	case nm == "", nm == "default", nm == "bridge":
	case nm == "host":
		pod.HostNetwork = true
		if pod.DNSPolicy == "" {
			pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
		}
	case nm == "none":
		c.drop(svc.Name, "network_mode", "a pod always has a network, dropped")
	case strings.HasPrefix(nm, types.NetworkModeServicePrefix), strings.HasPrefix(nm, types.NetworkModeContainerPrefix):
		switch owner := c.plan.podOf(svc.Name); {
		case owner == svc.Name:
			// A top-level job cannot join a long-running pod.
			c.drop(svc.Name, "network_mode", "a %s runs in its own pod and reaches other services through their Services, dropped", s.kind)
		case strings.HasPrefix(nm, types.NetworkModeContainerPrefix):
			c.warn(svc.Name, "network_mode", "approximated: %q is the container of service %q; this service becomes a container of its pod", nm, owner)
		}
	default:
		c.warn(svc.Name, "network_mode", "approximated: %q; the pod is on the cluster network", nm)
	}

	switch v := svc.Pid; {
	case v == "":
	case v == "host":
		pod.HostPID = true
	default:
		if t, ok := c.namespaceTarget(v); ok && c.plan.podOf(svc.Name) == c.plan.podOf(t) {
			yes := true
			pod.ShareProcessNamespace = &yes
			break
		}
		c.drop(svc.Name, "pid", "%q: only containers of one pod can share a PID namespace, dropped", v)
	}

	switch v := svc.Ipc; {
	case v == "", v == "private":
	case v == "host":
		pod.HostIPC = true
	case v == "shareable":
		c.warn(svc.Name, "ipc", "approximated: only the containers of this pod share its IPC namespace")
	case v == "none":
		c.drop(svc.Name, "ipc", "a pod always has an IPC namespace, dropped")
	default:
		if t, ok := c.namespaceTarget(v); ok && c.plan.podOf(svc.Name) == c.plan.podOf(t) {
			// The containers of a pod share its IPC namespace.
			break
		}
		c.drop(svc.Name, "ipc", "%q: only containers of one pod can share an IPC namespace, dropped", v)
	}
}

// truncName shortens a DNS-1123 label to n characters.
