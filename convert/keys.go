package convert

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
)

// keyStatus is what hoist does with a compose service key.
type keyStatus int

const (
	// keyMapped keys are converted; their handlers warn about any part
	// they approximate.
	keyMapped keyStatus = iota
	// keyDropped keys have no Kubernetes equivalent.
	keyDropped
)

func (s keyStatus) String() string {
	if s == keyMapped {
		return "mapped"
	}
	return "dropped"
}

// keyRule says what happens to one service key: the Kubernetes field it
// becomes, or why it is dropped. The table is the single source of truth for
// the warnings and for the README's mapping table.
type keyRule struct {
	status keyStatus
	// to is the Kubernetes side for mapped keys, the reason for dropped ones.
	to string
}

// serviceKeys is every service key hoist knows: the core keys below and
// those of each area's own table.
var serviceKeys = mergeKeys(coreKeys, workloadKeys, storageKeys, configKeys, networkKeys, dependsKeys, securityKeys)

func mergeKeys(tables ...map[string]keyRule) map[string]keyRule {
	all := map[string]keyRule{}
	for _, t := range tables {
		for k, r := range t {
			if _, dup := all[k]; dup {
				panic("convert: key " + k + " is in two key tables")
			}
			all[k] = r
		}
	}
	return all
}

var coreKeys = map[string]keyRule{
	// Mapped.
	"annotations":       {keyMapped, "workload and pod template annotations"},
	"build":             {keyMapped, "with `--build`: built, pushed and pinned by digest (`registry/name@sha256:...`); without: image `<project>-<service>` (`--registry`, `--tag`) with a warning"},
	"command":           {keyMapped, "container `args` (`$(` escaped)"},
	"container_name":    {keyMapped, "a DNS name, as on a compose network: an alias Service (like network aliases); dotted `host.sub` -> pod `hostname`/`subdomain` with a headless Service `sub`; a warning when it cannot resolve"},
	"cpus":              {keyMapped, "`resources.limits.cpu` (millicores)"},
	"deploy":            {keyMapped, "`replicas` (a Job's parallel runs; 0: no run), `resources`, labels; `endpoint_mode: dnsrr` -> headless Service; `mode: global` -> DaemonSet, `*-job` -> Job; `update_config` -> update strategy; `restart_policy` -> Job; `placement` -> nodeSelector, node affinity, topologySpreadConstraints"},
	"dockerfile":        {keyMapped, "as `build`"},
	"entrypoint":        {keyMapped, "container `command` (`$(` escaped)"},
	"env_file":          {keyMapped, "container `env` (merged with `environment` at load)"},
	"environment":       {keyMapped, "container `env`, sorted, `$(` escaped"},
	"expose":            {keyMapped, "ports of the headless Service named after the service (ranges expanded)"},
	"extends":           {keyMapped, "resolved at load"},
	"gpus":              {keyMapped, "`nvidia.com/gpu` limit"},
	"healthcheck":       {keyMapped, "readiness + liveness probes; `start_period` -> startupProbe with compose's budget, `start_period + retries x interval`"},
	"image":             {keyMapped, "container `image`"},
	"label_file":        {keyMapped, "as `labels` (read at load)"},
	"labels":            {keyMapped, "workload and pod labels when valid, else annotations; `kompose.hpa.*` -> HorizontalPodAutoscaler, `kompose.service.healthcheck.*` -> probes, `kompose.serviceaccount-name` -> pod `serviceAccountName`, other `kompose.*` labels warn"},
	"mem_limit":         {keyMapped, "`resources.limits.memory`"},
	"mem_reservation":   {keyMapped, "`resources.requests.memory`"},
	"ports":             {keyMapped, "container ports; the headless Service named after the service answers on `target` (`port` = `targetPort`); published ports -> Service `<service>-published` of type NodePort (node port = `published`) or LoadBalancer (`port` = `published`), a warning under ClusterIP; a loopback `host_ip` (this host only) is not published, with a warning; `app_protocol` -> `appProtocol`"},
	"profiles":          {keyMapped, "resolved at load (`--profile`, `COMPOSE_PROFILES`)"},
	"pull_policy":       {keyMapped, "`imagePullPolicy`; with `build`: `build`, `never`, `missing` -> IfNotPresent"},
	"restart":           {keyMapped, "`always`, `unless-stopped`: pods always restart; `no`, `on-failure[:N]` on a service without ports that looks one-shot: Job (`restartPolicy` Never/OnFailure, `backoffLimit`); one that others depend on or reach by name, or with a healthcheck or aliases, stays a Deployment with a warning; `service_completed_successfully` makes a Job"},
	"scale":             {keyMapped, "`spec.replicas`"},
	"stdin_open":        {keyMapped, "container `stdin`"},
	"stop_grace_period": {keyMapped, "`terminationGracePeriodSeconds`"},
	"tty":               {keyMapped, "container `tty`"},
	"working_dir":       {keyMapped, "container `workingDir`"},

	// No Kubernetes equivalent.
	"attach":              {keyDropped, "log attachment is a compose CLI setting"},
	"blkio_config":        {keyDropped, "block I/O weights are not supported by Kubernetes"},
	"cgroup":              {keyDropped, "cgroup namespaces are set by the container runtime"},
	"cgroup_parent":       {keyDropped, "cgroups are managed by the kubelet"},
	"cpu_count":           {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_percent":         {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_period":          {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_quota":           {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_rt_period":       {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_rt_runtime":      {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpu_shares":          {keyDropped, "CPU tuning beyond limits is not supported by Kubernetes"},
	"cpuset":              {keyDropped, "CPU pinning is a kubelet CPU-manager policy"},
	"credential_spec":     {keyDropped, "Windows credential specs are not supported"},
	"develop":             {keyDropped, "compose watch is a development feature"},
	"device_cgroup_rules": {keyDropped, "device access needs a device plugin"},
	"devices":             {keyDropped, "device access needs a device plugin"},
	"external_links":      {keyDropped, "containers outside the project are not reachable by name"},
	"init":                {keyDropped, "Kubernetes runs no init process in containers; use one in the image"},
	"isolation":           {keyDropped, "isolation technology is set by the node"},
	"log_driver":          {keyDropped, "the cluster's logging collects stdout and stderr"},
	"log_opt":             {keyDropped, "the cluster's logging collects stdout and stderr"},
	"logging":             {keyDropped, "the cluster's logging collects stdout and stderr"},
	"mac_address":         {keyDropped, "pod addresses are assigned by the network plugin"},
	"mem_swappiness":      {keyDropped, "swap is configured per node"},
	"memswap_limit":       {keyDropped, "swap is configured per node"},
	"models":              {keyDropped, "compose models are not supported by Kubernetes"},
	"net":                 {keyDropped, "legacy key; use network_mode"},
	"oom_kill_disable":    {keyDropped, "OOM handling is set by the kubelet"},
	"oom_score_adj":       {keyDropped, "OOM scores follow the pod's QoS class"},
	"pids_limit":          {keyDropped, "PID limits are set per node by the kubelet"},
	"provider":            {keyDropped, "compose providers are not supported by Kubernetes"},
	"pull_refresh_after":  {keyDropped, "image refresh schedules are not supported by Kubernetes"},
	"runtime":             {keyDropped, "set a RuntimeClass instead"},
	"stop_signal":         {keyDropped, "Kubernetes stops containers with SIGTERM; set STOPSIGNAL in the image"},
	"storage_opt":         {keyDropped, "storage driver options are not supported by Kubernetes"},
	"ulimits":             {keyDropped, "not supported by Kubernetes"},
	"umask":               {keyDropped, "not supported by Kubernetes; set it in the image"},
	"use_api_socket":      {keyDropped, "there is no Docker engine API in a cluster"},
	"userns_mode":         {keyDropped, "user namespaces are a pod setting (hostUsers) not derived from compose"},
	"uts":                 {keyDropped, "not supported by Kubernetes"},
	"volume_driver":       {keyDropped, "volume drivers are replaced by StorageClasses"},
}

// serviceField is one compose key of types.ServiceConfig.
type serviceField struct {
	key   string
	index []int
}

var serviceFields = sync.OnceValue(func() []serviceField {
	var fields []serviceField
	for _, f := range reflect.VisibleFields(reflect.TypeFor[types.ServiceConfig]()) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || key == "name" || strings.HasPrefix(key, "#") {
			continue
		}
		fields = append(fields, serviceField{key: key, index: f.Index})
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].key < fields[j].key })
	return fields
})

// presentKeys lists, sorted, the compose keys a service sets. compose-go
// gives every service an environment map, empty when none is set, and the
// default network when it names none: neither counts as set.
func presentKeys(s *types.ServiceConfig) []string {
	v := reflect.ValueOf(s).Elem()
	var keys []string
	for _, f := range serviceFields() {
		fv := v.FieldByIndex(f.index)
		switch {
		case fv.IsZero():
		case fv.Kind() == reflect.Map && fv.Len() == 0:
		case f.key == "networks" && onlyDefaultNetwork(s):
		default:
			keys = append(keys, f.key)
		}
	}
	return keys
}
