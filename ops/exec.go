package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// Streams are the local ends of a remote command's streams. In nil means
// no standard input. With TTY, stderr is merged into Out by the terminal.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	TTY    bool
	// Sizes reports the local terminal's size, and its changes, with TTY.
	Sizes remotecommand.TerminalSizeQueue
}

// ExecOptions are docker compose exec's flags.
type ExecOptions struct {
	// Command is what to run; it must not be empty.
	Command []string
	// Index is the replica to run in (--index); 0 means the first ready
	// pod.
	Index int
	// Env are KEY=VALUE pairs to add (-e); Kubernetes exec has no
	// environment of its own, so the command runs under env(1).
	Env []string
	// Workdir is the directory to run in (-w); Kubernetes exec has none,
	// so the command runs under sh -c 'cd DIR && exec "$@"'.
	Workdir string
}

// Exec runs a command in the target's container of a ready pod, like
// kubectl exec, and returns the command's exit code. A failure to start
// it is an error.
func (c *Client) Exec(ctx context.Context, t Target, o ExecOptions, s Streams) (int, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	pod, err := c.ReadyPod(ctx, t, o.Index)
	if err != nil {
		return 0, err
	}
	cmd := WrapCommand(o.Command, o.Env, o.Workdir)
	req := c.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.Namespace).Name(pod.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: t.Container, Command: cmd,
			Stdin: s.In != nil, Stdout: s.Out != nil, Stderr: s.ErrOut != nil && !s.TTY, TTY: s.TTY,
		}, scheme.ParameterCodec)
	return c.streamRemote(ctx, req.URL(), s, fmt.Sprintf("running %q in pod %s, container %s", o.Command[0], pod.Name, t.Container))
}

// Validate checks the options before anything reaches the cluster: a
// command is given, and every Env entry is KEY=VALUE.
func (o ExecOptions) Validate() error {
	if len(o.Command) == 0 {
		return errors.New("exec: a command is required")
	}
	return checkEnv(o.Env)
}

// checkEnv checks -e entries: KEY=VALUE each.
func checkEnv(env []string) error {
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("-e %q: want KEY=VALUE", kv)
		}
	}
	return nil
}

// WrapCommand returns command run under env(1) with env, and in workdir
// through sh when workdir is set: what docker's exec -e and -w do, for a
// Kubernetes exec, which has neither.
func WrapCommand(command, env []string, workdir string) []string {
	cmd := command
	if len(env) > 0 {
		cmd = append(append([]string{"env"}, env...), cmd...)
	}
	if workdir != "" {
		cmd = append([]string{"sh", "-c", `cd "$0" && exec "$@"`, workdir}, cmd...)
	}
	return cmd
}

// streamRemote runs an exec or attach request over WebSocket, falling back
// to SPDY on servers without it (kubectl's order), and returns the remote
// command's exit code.
func (c *Client) streamRemote(ctx context.Context, u *url.URL, s Streams, what string) (int, error) {
	spdyExec, err := remotecommand.NewSPDYExecutor(c.cfg, http.MethodPost, u)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	wsExec, err := remotecommand.NewWebSocketExecutor(c.cfg, http.MethodGet, u.String())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(wsExec, spdyExec, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{
		Stdin: s.In, Stdout: s.Out, Stderr: errOut(s), Tty: s.TTY, TerminalSizeQueue: s.Sizes,
	})
	var ce exec.CodeExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ce):
		return ce.ExitStatus(), nil
	case ctx.Err() != nil:
		return 0, ctx.Err()
	}
	return 0, fmt.Errorf("%s: %w", what, err)
}

func errOut(s Streams) io.Writer {
	if s.TTY {
		return nil
	}
	return s.ErrOut
}
