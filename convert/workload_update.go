package convert

import (
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Workloads: deploy.update_config as the Deployment, DaemonSet or
// StatefulSet update strategy.

// updateParallelism is update_config.parallelism as a Kubernetes count:
// 0 means all at once.
func updateParallelism(u *types.UpdateConfig) intstr.IntOrString {
	if u.Parallelism == nil {
		return intstr.FromInt32(1)
	}
	if *u.Parallelism == 0 {
		return intstr.FromString("100%")
	}
	return intstr.FromInt32(int32(*u.Parallelism))
}

// updateDrops warns about the update_config settings Kubernetes has no
// field for.
func (c *converter) updateDrops(svc *types.ServiceConfig, u *types.UpdateConfig) {
	if u.Delay != 0 {
		c.drop(svc.Name, "deploy.update_config.delay", "Kubernetes rolls on as soon as new pods are ready, dropped")
	}
	if u.FailureAction != "" {
		c.drop(svc.Name, "deploy.update_config.failure_action", "a stalled rollout stops; roll back with kubectl rollout undo, dropped")
	}
	if u.Monitor != 0 {
		c.drop(svc.Name, "deploy.update_config.monitor", "set minReadySeconds on the workload instead, dropped")
	}
	if u.MaxFailureRatio != 0 {
		c.drop(svc.Name, "deploy.update_config.max_failure_ratio", "Kubernetes has no failure ratio for rollouts, dropped")
	}
	switch u.Order {
	case "", "stop-first", "start-first":
	default:
		c.warn(svc.Name, "deploy.update_config.order", "approximated: unknown order %q, treated as stop-first", u.Order)
	}
}

func updateConfig(svc *types.ServiceConfig) *types.UpdateConfig {
	if svc.Deploy == nil {
		return nil
	}
	return svc.Deploy.UpdateConfig
}

// deploymentStrategy is Recreate when the pod mounts a ReadWriteOnce claim
// (a new pod on another node could not attach it while the old one runs),
// else the rolling update update_config describes.
func (c *converter) deploymentStrategy(s *svcCtx) appsv1.DeploymentStrategy {
	svc := s.svc
	u := updateConfig(svc)
	for _, cl := range s.claims {
		if cl.readWriteOnce {
			switch {
			case cl.unknownMode:
				key := "volumes"
				if u != nil {
					key = "deploy.update_config"
				}
				c.warn(svc.Name, key, "approximated: the pod mounts the external claim %q, whose access mode is unknown, so updates stop the old pod before starting the new one (Recreate); declare x-kubernetes.accessMode: ReadWriteMany on the volume to roll", cl.name)
			case u != nil:
				c.warn(svc.Name, "deploy.update_config", "approximated: the pod mounts the ReadWriteOnce claim %q, so updates stop the old pod before starting the new one (Recreate)", cl.name)
			}
			return appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
		}
	}
	if u == nil {
		return appsv1.DeploymentStrategy{}
	}
	c.updateDrops(svc, u)
	n, zero := updateParallelism(u), intstr.FromInt32(0)
	ru := &appsv1.RollingUpdateDeployment{MaxSurge: &zero, MaxUnavailable: &n}
	if u.Order == "start-first" {
		ru = &appsv1.RollingUpdateDeployment{MaxSurge: &n, MaxUnavailable: &zero}
	}
	return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: ru}
}

func (c *converter) daemonSetStrategy(s *svcCtx) appsv1.DaemonSetUpdateStrategy {
	u := updateConfig(s.svc)
	if u == nil {
		return appsv1.DaemonSetUpdateStrategy{}
	}
	c.updateDrops(s.svc, u)
	n, zero := updateParallelism(u), intstr.FromInt32(0)
	ru := &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &n}
	if u.Order == "start-first" {
		ru = &appsv1.RollingUpdateDaemonSet{MaxSurge: &n, MaxUnavailable: &zero}
	}
	return appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType, RollingUpdate: ru}
}

func (c *converter) statefulSetStrategy(s *svcCtx) appsv1.StatefulSetUpdateStrategy {
	u := updateConfig(s.svc)
	if u == nil {
		return appsv1.StatefulSetUpdateStrategy{}
	}
	c.updateDrops(s.svc, u)
	if u.Order == "start-first" {
		c.warn(s.svc.Name, "deploy.update_config.order", "approximated: a StatefulSet stops each pod before starting its replacement (stop-first)")
	}
	n := updateParallelism(u)
	if n.Type == intstr.Int && n.IntVal == 1 {
		return appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	}
	return appsv1.StatefulSetUpdateStrategy{
		Type:          appsv1.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{MaxUnavailable: &n},
	}
}
