package ops

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hoist-dev/hoist/apply"
)

// Client runs the verbs in one namespace of one cluster.
type Client struct {
	cs kubernetes.Interface
	// cfg has no request timeout: streams last as long as their context.
	cfg       *rest.Config
	Namespace string
	// Server is the API server's address, for messages.
	Server string
}

// New makes a Client from a connected apply.Client, in its namespace.
func New(c *apply.Client) (*Client, error) {
	cfg := c.RESTConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	return &Client{cs: cs, cfg: cfg, Namespace: c.Namespace, Server: c.Server}, nil
}

// Pods returns the target's pods that are not being deleted, in replica
// order: a StatefulSet's by ordinal, others by creation time then name.
// A pod's index (compose's container number, web-1) is its position + 1.
func (c *Client) Pods(ctx context.Context, t Target) ([]corev1.Pod, error) {
	list, err := c.cs.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(t.Selector).String()})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of service %q in namespace %s: %w", t.Service, c.Namespace, err)
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	sortPods(pods)
	return pods, nil
}

func sortPods(pods []corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		oi, oki := ordinal(&pods[i])
		oj, okj := ordinal(&pods[j])
		if oki && okj {
			return oi < oj
		}
		ti, tj := pods[i].CreationTimestamp, pods[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return pods[i].Name < pods[j].Name
	})
}

// ordinal is a StatefulSet pod's ordinal, from the label the controller
// sets.
func ordinal(p *corev1.Pod) (int, bool) {
	v, ok := p.Labels["apps.kubernetes.io/pod-index"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// ready reports whether the pod's Ready condition is True.
func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ReadyPod returns the pod at index (1-based) of the target's pods, which
// must be ready; index 0 means the first ready pod. No such pod is an
// error naming the service and the namespace.
func (c *Client) ReadyPod(ctx context.Context, t Target, index int) (*corev1.Pod, error) {
	pods, err := c.Pods(ctx, t)
	if err != nil {
		return nil, err
	}
	if index > 0 {
		if index > len(pods) {
			return nil, c.noPodIndex(t, index, len(pods))
		}
		p := &pods[index-1]
		if !ready(p) {
			return nil, fmt.Errorf("service %q: pod %s (index %d) is not running and ready (%s)", t.Service, p.Name, index, podState(p))
		}
		return p, nil
	}
	for i := range pods {
		if ready(&pods[i]) {
			return &pods[i], nil
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("service %q has no running pod in namespace %s; is the project up?", t.Service, c.Namespace)
	}
	var states []string
	for i := range pods {
		states = append(states, pods[i].Name+" "+podState(&pods[i]))
	}
	return nil, fmt.Errorf("service %q has no running pod in namespace %s: %s", t.Service, c.Namespace, strings.Join(states, ", "))
}

// podState is a short account of a pod that is not ready: its phase and
// the reason its first waiting container waits.
func podState(p *corev1.Pod) string {
	state := strings.ToLower(string(p.Status.Phase))
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return state + ", " + cs.Name + " " + w.Reason
		}
	}
	return state
}

// noPodIndex is the error for --index n of a service with fewer pods.
func (c *Client) noPodIndex(t Target, index, pods int) error {
	return fmt.Errorf("service %q has no pod with index %d in namespace %s (it has %d)", t.Service, index, c.Namespace, pods)
}
