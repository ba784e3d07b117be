package convert

import "github.com/compose-spec/compose-go/v2/types"

// plan is what Convert decides about the whole project before it converts
// any service, so that a service's conversion reads what it needs about
// the others here rather than working it out again: the object names,
// which pod runs each service, each workload's kind, how services use
// each other, the shared storage and the project-wide network decisions.
// Convert fills it before the first service: validate names
// the services (convert.go), prepareWorkloads the jobs, pods and workload
// kinds (workload.go), prepareStorage the shared claims, ConfigMaps and
// Secrets (storage.go, configs.go), prepareNetwork the aliases and network
// labels (network.go); from then on the per-area steps only read it. What an
// area collects while services are converted stays in the area's own
// state: storeState (storage.go), networkState (network.go).
type plan struct {
	// names maps a compose service or top-level job to its object name.
	names map[string]string
	// owner maps a service that joins another's network
	// (network_mode: service:X or container:X) to X, whose pod runs it.
	// Read it through podOf.
	owner map[string]string
	// sidecars lists, sorted, the services that join each service's pod.
	sidecars map[string][]string
	// jobs are the top-level jobs, by name.
	jobs map[string]*types.JobConfig
	// workloads are the workload decisions of each service or job that
	// has a pod of its own.
	workloads map[string]*workloadPlan
	// usage is how the other services use each service: whether they
	// wait for it to run or to complete, or reach it by name.
	usage map[string]serviceUsage
	// aliases are the extra Services of each compose service: its network
	// aliases and the link aliases other services give it.
	aliases map[string][]aliasRef
	// dotted are the services whose container_name has a dot.
	dotted map[string]dottedName
	// netLabels maps a compose network to the pod label that marks its
	// members; empty when no NetworkPolicies are emitted.
	netLabels map[string]string
	// claims are the PersistentVolumeClaims of named volumes and data
	// directories, with the services that mount each (storage.go).
	claims map[claimID]*claim
	// bindMaps are the ConfigMaps that carry bind mount content, by host
	// path.
	bindMaps map[string]*bindMap
	// configs and secrets are the ConfigMaps and Secrets of the project's
	// configs and secrets that services use, by compose key (configs.go).
	configs, secrets map[string]*fileObject
	// secretValues maps the values of secret-looking environment
	// variables to a variable that holds each (env_secrets.go).
	secretValues map[string]string
}

// podOf is the service whose pod runs the named service or job: itself,
// or the service whose network it joins (network_mode: service:X or
// container:X). A service with podOf(name) != name is a sidecar: it has
// no workload and no Service of its own.
func (p *plan) podOf(name string) string {
	if o, ok := p.owner[name]; ok {
		return o
	}
	return name
}

// kindOf is the workload kind decided for the service or job: "" for a
// service that joins another's pod, or whose kind could not be decided
// (its conversion fails with the reason).
func (p *plan) kindOf(name string) string {
	if w := p.workloads[name]; w != nil {
		return w.kind
	}
	return ""
}

// makePlan runs the project-wide passes that services depend on, in this
// order: which services join another's pod and what workload each
// becomes, which volumes, configs and secrets are shared, which networks
// isolate. validate has named the services already.
func (c *converter) makePlan() error {
	c.warnRenamed()
	c.plan.secretValues = secretValues(c.project)
	for _, pass := range []func() error{c.prepareWorkloads, c.prepareStorage, c.prepareNetwork} {
		if err := pass(); err != nil {
			return err
		}
	}
	return nil
}
