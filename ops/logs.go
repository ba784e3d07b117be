package ops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// LogOptions are docker compose logs' flags.
type LogOptions struct {
	// Follow keeps streaming, and picks up the pods and container restarts
	// that come while it runs (-f).
	Follow bool
	// Tail is how many lines of each container's end to show; negative
	// means all (--tail).
	Tail int64
	// Since shows lines from this time on; zero means all (--since).
	Since time.Time
	// Until shows lines before this time only; zero means no limit
	// (--until). Kubernetes has no such option: hoist filters on the
	// kubelet's timestamps.
	Until time.Time
	// Timestamps prints the kubelet's RFC 3339 timestamp of each line (-t).
	Timestamps bool
	// NoPrefix drops the "web-1  | " prefix (--no-log-prefix).
	NoPrefix bool
	// Color colours the prefix, a stable colour per service (on a TTY,
	// unless --no-color).
	Color bool
	// Index shows only the pod with this replica number; 0 means all
	// (--index).
	Index int
	// Warnings receives what goes wrong with one stream while following;
	// nil discards it.
	Warnings io.Writer
}

// palette is docker compose's: the six ANSI colours, then their bright
// variants.
var palette = []string{"36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91"}

// colorOf is the service's colour: the same for a service in every run.
func colorOf(service string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(service))
	return palette[h.Sum32()%uint32(len(palette))]
}

// printer writes whole lines from several streams to one writer.
type printer struct {
	mu    sync.Mutex
	out   io.Writer
	width int
	o     LogOptions
}

func (p *printer) prefix(service, name string) string {
	if p.o.NoPrefix {
		return ""
	}
	s := fmt.Sprintf("%-*s | ", p.width, name)
	if p.o.Color {
		s = "\x1b[" + colorOf(service) + "m" + s + "\x1b[0m"
	}
	return s
}

func (p *printer) line(prefix, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.out, prefix+line+"\n")
}

// Logs prints the logs of the targets' pods to out, each line prefixed
// with the service and the pod's index like docker compose ("web-1  | ").
// A container that has not started yet is skipped; the init containers of a
// pod that is still initialising are shown too, as "web-1/wait-db", since
// that is where a stuck dependency wait shows. With Follow it streams until
// ctx ends, starting a stream for every pod and container restart that
// appears meanwhile (a rollout or a restart does not end it).
func (c *Client) Logs(ctx context.Context, targets []Target, o LogOptions, out io.Writer) error {
	width := 0
	for _, t := range targets {
		width = max(width, len(t.Service)+3)
	}
	p := &printer{out: out, width: width, o: o}
	if !o.Follow {
		for _, t := range targets {
			pods, err := c.Pods(ctx, t)
			if err != nil {
				return err
			}
			if o.Index > len(pods) && len(pods) > 0 {
				// As exec says; no pod at all is no error (nothing runs).
				return c.noPodIndex(t, o.Index, len(pods))
			}
			for i := range pods {
				if o.Index > 0 && i+1 != o.Index {
					continue
				}
				for _, s := range c.streams(t, &pods[i], i+1, p) {
					if err := c.stream(ctx, s, o, true, p); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(targets))
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.follow(ctx, t, o, p); err != nil && ctx.Err() == nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// logStream is one container of one pod to stream.
type logStream struct {
	service, pod, container, prefix string
	// key tells container instances apart: pod UID, container, restarts.
	key string
}

// streams are the containers of pod to show: its init containers that
// started while the pod is initialising, and the service's container once
// it started.
func (c *Client) streams(t Target, pod *corev1.Pod, index int, p *printer) []logStream {
	name := fmt.Sprintf("%s-%d", t.Service, index)
	var out []logStream
	initialising := false
	for _, s := range pod.Status.InitContainerStatuses {
		if s.State.Terminated == nil || s.State.Terminated.ExitCode != 0 {
			initialising = true
		}
	}
	if initialising {
		for _, s := range pod.Status.InitContainerStatuses {
			if started(s) {
				out = append(out, logStream{service: t.Service, pod: pod.Name, container: s.Name,
					prefix: p.prefix(t.Service, name+"/"+s.Name), key: fmt.Sprintf("%s/%s/%d", pod.UID, s.Name, s.RestartCount)})
			}
		}
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == t.Container && started(s) {
			out = append(out, logStream{service: t.Service, pod: pod.Name, container: s.Name,
				prefix: p.prefix(t.Service, name), key: fmt.Sprintf("%s/%s/%d", pod.UID, s.Name, s.RestartCount)})
		}
	}
	return out
}

// started reports whether a container instance has logs: it runs or ran.
func started(s corev1.ContainerStatus) bool {
	return s.State.Running != nil || s.State.Terminated != nil
}

// stream copies one container's log to the printer, line by line.
func (c *Client) stream(ctx context.Context, s logStream, o LogOptions, first bool, p *printer) error {
	opts := &corev1.PodLogOptions{Container: s.container, Follow: o.Follow, Timestamps: true}
	if first && o.Tail >= 0 {
		tail := o.Tail
		opts.TailLines = &tail
	}
	if !o.Since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: o.Since}
	}
	rc, err := c.cs.CoreV1().Pods(c.Namespace).GetLogs(s.pod, opts).Stream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("reading the logs of pod %s, container %s: %w", s.pod, s.container, err)
	}
	defer rc.Close()
	r := bufio.NewReader(rc)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(line, "\n")
			ts, rest, _ := strings.Cut(line, " ")
			if !o.Until.IsZero() {
				if t, perr := time.Parse(time.RFC3339Nano, ts); perr == nil && !t.Before(o.Until) {
					return nil
				}
			}
			if o.Timestamps {
				rest = ts + " " + rest
			}
			p.line(s.prefix, rest)
		}
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading the logs of pod %s, container %s: %w", s.pod, s.container, err)
		}
	}
}

// follow streams the target's containers as they start, until ctx ends.
func (c *Client) follow(ctx context.Context, t Target, o LogOptions, p *printer) error {
	sel := labels.SelectorFromSet(t.Selector).String()
	lw := cache.NewFilteredListWatchFromClient(c.cs.CoreV1().RESTClient(), "pods", c.Namespace, func(o *metav1.ListOptions) { o.LabelSelector = sel })
	var mu sync.Mutex
	seen := map[string]bool{}
	initial := true
	var wg sync.WaitGroup
	defer wg.Wait()
	pods := map[string]*corev1.Pod{}
	// Streams that start with the command show the --tail of the log;
	// streams of containers that start later show all of it.
	start := time.Now()
	handle := func() {
		var list []corev1.Pod
		for _, pod := range pods {
			list = append(list, *pod)
		}
		sortPods(list)
		for i := range list {
			if o.Index > 0 && i+1 != o.Index {
				continue
			}
			for _, s := range c.streams(t, &list[i], i+1, p) {
				mu.Lock()
				if seen[s.key] {
					mu.Unlock()
					continue
				}
				seen[s.key] = true
				mu.Unlock()
				first := initial || time.Since(start) < time.Second
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := c.stream(ctx, s, o, first, p); err != nil && ctx.Err() == nil && o.Warnings != nil {
						fmt.Fprintf(o.Warnings, "Warning: %v\n", err)
					}
				}()
			}
		}
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, func(store cache.Store) (bool, error) {
		for _, obj := range store.List() {
			pod := obj.(*corev1.Pod)
			pods[string(pod.UID)] = pod
		}
		handle()
		initial = false
		return false, nil
	}, func(ev watch.Event) (bool, error) {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		switch ev.Type {
		case watch.Deleted:
			delete(pods, string(pod.UID))
		case watch.Added, watch.Modified:
			pods[string(pod.UID)] = pod
		}
		handle()
		return false, nil
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, watchtools.ErrWatchClosed) {
		return fmt.Errorf("watching the pods of service %q in namespace %s: %w", t.Service, c.Namespace, err)
	}
	return nil
}
