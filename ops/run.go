package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/hoist-dev/hoist/convert"
)

// LabelRun marks a one-off pod of hoist run; its value is the service.
const LabelRun = "hoist.dev/run"

// RunOptions are docker compose run's flags.
type RunOptions struct {
	// Command replaces the service's command (the container's args).
	Command []string
	// Entrypoint replaces the image's entrypoint (the container's
	// command) when set (--entrypoint); the service's command is dropped
	// then unless Command is given, as docker does.
	Entrypoint []string
	// Env are KEY=VALUE pairs added to the container's (-e).
	Env []string
	// User is -u: a numeric UID[:GID] becomes runAsUser/runAsGroup; a
	// name cannot be honoured (Kubernetes wants numbers) and is an error.
	User string
	// Workdir is the container's working directory (-w).
	Workdir string
	// NoDeps drops the init containers that wait for the service's
	// dependencies (--no-deps).
	NoDeps bool
	// Keep leaves the pod in place after it ends (--rm=false).
	Keep bool
	// Created, when set, receives the one-off pod's name once it exists.
	Created func(name string)
}

// RunPod builds the one-off pod of a service: its converted pod template
// with only the service's container (and its init containers), restart
// policy Never, and the labels of the template except
// app.kubernetes.io/name, so that no Service routes to it and the
// service's logs and exec do not pick it; LabelRun names the service.
func RunPod(t Target, o RunOptions, tty, stdin bool) (*corev1.Pod, error) {
	tmpl := t.Template.DeepCopy()
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: t.Workload.GetName() + "-run-", Labels: map[string]string{}, Annotations: tmpl.Annotations},
		Spec:       tmpl.Spec,
	}
	for k, v := range tmpl.Labels {
		if k != convert.LabelName {
			pod.Labels[k] = v
		}
	}
	pod.Labels[LabelRun] = t.Container
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	var ctr *corev1.Container
	for i := range tmpl.Spec.Containers {
		if tmpl.Spec.Containers[i].Name == t.Container {
			ctr = &tmpl.Spec.Containers[i]
		}
	}
	if ctr == nil {
		return nil, fmt.Errorf("service %q: no container %s in the pod template", t.Service, t.Container)
	}
	// A one-off run has no probes: it is not a server.
	ctr.LivenessProbe, ctr.ReadinessProbe, ctr.StartupProbe = nil, nil, nil
	if o.Entrypoint != nil {
		ctr.Command = o.Entrypoint
		ctr.Args = nil
	}
	if o.Command != nil {
		ctr.Args = o.Command
	}
	if err := checkEnv(o.Env); err != nil {
		return nil, err
	}
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: k, Value: v})
	}
	if o.Workdir != "" {
		ctr.WorkingDir = o.Workdir
	}
	if o.User != "" {
		uid, gid, err := parseUser(o.User)
		if err != nil {
			return nil, err
		}
		if ctr.SecurityContext == nil {
			ctr.SecurityContext = &corev1.SecurityContext{}
		}
		ctr.SecurityContext.RunAsUser = &uid
		if gid != nil {
			ctr.SecurityContext.RunAsGroup = gid
		}
	}
	ctr.TTY = tty
	ctr.Stdin, ctr.StdinOnce = stdin, stdin
	pod.Spec.Containers = []corev1.Container{*ctr}
	if o.NoDeps {
		var inits []corev1.Container
		for _, c := range pod.Spec.InitContainers {
			if !strings.HasPrefix(c.Name, "wait-for-") {
				inits = append(inits, c)
			}
		}
		pod.Spec.InitContainers = inits
	}
	return pod, nil
}

// parseUser reads -u UID[:GID]; Kubernetes runs as numbers only.
func parseUser(u string) (int64, *int64, error) {
	us, gs, hasGroup := strings.Cut(u, ":")
	uid, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("-u %q: Kubernetes runs containers as a numeric UID[:GID], not a user name", u)
	}
	if !hasGroup {
		return uid, nil, nil
	}
	gid, err := strconv.ParseInt(gs, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("-u %q: Kubernetes runs containers as a numeric UID[:GID], not a group name", u)
	}
	return uid, &gid, nil
}

// Run creates the service's one-off pod (see RunPod), streams it and
// returns its exit code. With a TTY (s.TTY) it attaches to the container,
// standard input included; otherwise it follows the container's log from
// its start, so no output is lost, and passes no standard input. Unless
// Keep, the pod is deleted when Run returns, also when ctx is cancelled
// (Ctrl-C). A pod that cannot start (an image that cannot be pulled, a
// missing Secret) is an error naming the reason.
func (c *Client) Run(ctx context.Context, t Target, o RunOptions, s Streams) (int, error) {
	pod, err := RunPod(t, o, s.TTY, s.TTY && s.In != nil)
	if err != nil {
		return 0, err
	}
	pods := c.cs.CoreV1().Pods(c.Namespace)
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{FieldManager: "hoist"})
	if err != nil {
		return 0, fmt.Errorf("creating the one-off pod of service %q in namespace %s: %w", t.Service, c.Namespace, err)
	}
	name := created.Name
	if o.Created != nil {
		o.Created(name)
	}
	if !o.Keep {
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			zero := int64(0)
			_ = pods.Delete(dctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		}()
	}
	// Wait until the container runs (or already ended).
	p, err := c.waitPod(ctx, name, func(p *corev1.Pod) (bool, error) {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return true, nil
		}
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil && stuck(w.Reason) {
				return false, fmt.Errorf("one-off pod %s of service %q cannot start: container %s: %s: %s", name, t.Service, cs.Name, w.Reason, w.Message)
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == t.Container && started(cs) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	if s.TTY && p.Status.Phase == corev1.PodRunning {
		req := c.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.Namespace).Name(name).SubResource("attach").
			VersionedParams(&corev1.PodAttachOptions{Container: t.Container, Stdin: s.In != nil, Stdout: true, TTY: true}, scheme.ParameterCodec)
		if _, err := c.streamRemote(ctx, req.URL(), s, "attaching to pod "+name); err != nil {
			return 0, err
		}
	} else {
		if err := c.copyLog(ctx, name, t.Container, s.Out); err != nil {
			return 0, err
		}
	}
	p, err = c.waitPod(ctx, name, func(p *corev1.Pod) (bool, error) {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == t.Container && cs.State.Terminated != nil {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == t.Container && cs.State.Terminated != nil {
			return int(cs.State.Terminated.ExitCode), nil
		}
	}
	return 0, fmt.Errorf("one-off pod %s of service %q: no exit code", name, t.Service)
}

// stuck are the waiting reasons a pod does not get out of by itself.
func stuck(reason string) bool {
	switch reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "ErrImageNeverPull":
		return true
	}
	return false
}

// copyLog follows one container's log to out, unprefixed.
func (c *Client) copyLog(ctx context.Context, pod, container string, out io.Writer) error {
	rc, err := c.cs.CoreV1().Pods(c.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: true}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("reading the log of pod %s: %w", pod, err)
	}
	defer rc.Close()
	if _, err := io.Copy(out, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("reading the log of pod %s: %w", pod, err)
	}
	return ctx.Err()
}

// waitPod watches one pod until cond holds or fails; a deleted pod is an
// error.
func (c *Client) waitPod(ctx context.Context, name string, cond func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := cache.NewFilteredListWatchFromClient(c.cs.CoreV1().RESTClient(), "pods", c.Namespace, func(o *metav1.ListOptions) { o.FieldSelector = sel })
	ev, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			return false, apierrors.NewNotFound(corev1.Resource("pods"), name)
		}
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		return cond(p)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, fmt.Errorf("waiting for pod %s: %w", name, err)
	}
	return ev.Object.(*corev1.Pod), nil
}
