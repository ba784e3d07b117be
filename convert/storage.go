package convert

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// Storage: volumes, tmpfs, shm_size, volumes_from, and the claims of the
// project's named volumes and data directories. This file holds the keys,
// the x-kubernetes volume block and prepareStorage, which finds and names
// every claim and ConfigMap services share; a pod's mounts are in
// storage_mounts.go, claims in storage_claims.go, bind mounts in
// storage_bind.go.

var storageKeys = map[string]keyRule{
	"shm_size":     {keyMapped, "memory `emptyDir` at `/dev/shm` with `sizeLimit`"},
	"tmpfs":        {keyMapped, "`emptyDir` with `medium: Memory` and `sizeLimit`"},
	"volumes":      {keyMapped, "named volume: PersistentVolumeClaim (StatefulSet: `volumeClaimTemplates`); anonymous: `emptyDir`; bind mount in the project: ConfigMap (read-only), `emptyDir` seeded from a ConfigMap (writable) or claim (empty, missing or over 1 MiB); outside the project: refused unless `--allow-host-paths` (`hostPath`); `read_only`, `volume.subpath`, `type: tmpfs`, `type: image`"},
	"volumes_from": {keyMapped, "the other service's volumes mounted again (`:ro` honoured)"},
}

// storageKompose are the kompose label prefixes this area reads.
var storageKompose = []string{komposeVolumePrefix}

// kompose volume labels, on services (size, storage class, type) and on
// top-level volumes (size, selector).
const (
	komposeVolumePrefix       = "kompose.volume."
	komposeVolumeSize         = "kompose.volume.size"
	komposeVolumeStorageClass = "kompose.volume.storage-class-name"
	komposeVolumeType         = "kompose.volume.type"
	komposeVolumeSelector     = "kompose.volume.selector"
)

// DefaultVolumeSize is the size of a claim that names none.
const DefaultVolumeSize = "1Gi"

// The Docker socket is never mounted from the node unless asked.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// VolumeExtension is x-kubernetes on a top-level volume: what the
// PersistentVolumeClaim asks for.
type VolumeExtension struct {
	// Size is a quantity such as 10Gi; default 1Gi.
	Size string `json:"size,omitempty"`
	// StorageClass is the claim's storageClassName; default the cluster's.
	StorageClass string `json:"storageClass,omitempty"`
	// AccessMode is ReadWriteOnce, ReadWriteMany, ReadOnlyMany or
	// ReadWriteOncePod; default ReadWriteOnce, or ReadWriteMany when
	// several pods mount the volume.
	AccessMode string `json:"accessMode,omitempty"`
}

// decodeVolumeExtension decodes a top-level volume's x-kubernetes block,
// which validate has already checked against the schema's $defs/volume
// (keys, types, size pattern, accessMode values).
func decodeVolumeExtension(volume string, raw any) (VolumeExtension, error) {
	var ext VolumeExtension
	if raw == nil {
		return ext, nil
	}
	key := "volumes." + volume + "." + ExtensionKey
	b, err := json.Marshal(raw)
	if err != nil {
		return ext, fmt.Errorf("%s: %w", key, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ext); err != nil {
		return ext, invalidf("%s: %s", key, strings.TrimPrefix(err.Error(), "json: "))
	}
	return ext, nil
}

// storeState is what the storage, config and secret steps keep while
// services are converted; the claims, ConfigMaps and Secrets services
// share are decided up front, in the plan.
type storeState struct {
	// Object names taken, per kind.
	claimNames            map[string]claimID
	mapNames, secretNames map[string]nameOwner
	// templated are the claims a StatefulSet took as claim templates,
	// which are not emitted on their own.
	templated map[claimID]bool
	// sizeWarned are the claims whose mount warning already said they
	// have the default size (a bind mount's claim).
	sizeWarned map[claimID]bool
}

// bindMap is the ConfigMap holding a bind mount's content.
type bindMap struct {
	// writable: some service mounts it writable (seeded).
	writable bool
	name     string
	users    []string
	data     *fileData
	// left are the .git directories and .env files of a directory that
	// the ConfigMap leaves out (bindData).
	left leftOut
}

const (
	// fromBind is a bind-mounted data directory.
	fromBind claimSource = iota
	// fromSeed is a writable bind with content that several services
	// mount, seeded once from its ConfigMap.
	fromSeed
	// fromVolume is a top-level named volume.
	fromVolume
)

// prepareStorage runs before any service is converted: it finds every
// claim and ConfigMap the services share and names them.
func (c *converter) prepareStorage() error {
	c.store = &storeState{
		claimNames: map[string]claimID{}, mapNames: map[string]nameOwner{}, secretNames: map[string]nameOwner{},
		templated: map[claimID]bool{}, sizeWarned: map[claimID]bool{},
	}
	c.plan.claims, c.plan.bindMaps = map[claimID]*claim{}, map[string]*bindMap{}
	c.plan.configs, c.plan.secrets = map[string]*fileObject{}, map[string]*fileObject{}
	st, pl := c.store, c.plan
	p := c.project
	// Named volumes: claims named after the compose key.
	for _, key := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[key]
		ext, err := decodeVolumeExtension(key, v.Extensions[ExtensionKey])
		if err != nil {
			return err
		}
		cl := &claim{id: volumeClaimID(key), what: fmt.Sprintf("volume %q", key), key: "volumes." + key}
		if v.External {
			cl.external = true
			if cl.name, err = c.externalName(cl.key, "volume", "PersistentVolumeClaim", cmp.Or(v.Name, key)); err != nil {
				return err
			}
			if other, ok := st.claimNames[cl.name]; ok && !pl.claims[other].external {
				return invalidf("volumes %q and %q: both become the claim name %q; rename one", other.source, key, cl.name)
			}
			// Several external volumes may name one existing claim.
			st.claimNames[cl.name] = volumeClaimID(key)
			if ext.Size != "" || ext.StorageClass != "" {
				c.drop("", cl.key+"."+ExtensionKey, "an external volume uses an existing claim, whose size and storage class are its own, dropped")
			}
			// accessMode declares the existing claim's mode.
			if ext.AccessMode != "" {
				cl.mode, cl.explicit = corev1.PersistentVolumeAccessMode(ext.AccessMode), true
			}
		} else {
			n, err := ObjectName(key)
			if err != nil {
				return fmt.Errorf("volumes.%s: %w", key, err)
			}
			if other, ok := st.claimNames[n]; ok {
				return invalidf("volumes %q and %q: both become the claim name %q; rename one", other.source, key, n)
			}
			st.claimNames[n] = volumeClaimID(key)
			cl.name = n
			if v.Name != "" && v.Name != p.Name+"_"+key {
				c.warn("", cl.key+".name", "approximated: %q: the claim is named after the volume key, %q", v.Name, n)
			}
			if err := c.claimSpec(cl, ext, v); err != nil {
				return err
			}
		}
		pl.claims[cl.id] = cl
	}
	// Who mounts what.
	for _, name := range c.podSources() {
		svc, _ := c.podSource(name)
		for _, m := range c.mountsOf(name, nil) {
			v := m.vol
			switch v.Type {
			case types.VolumeTypeVolume:
				if cl, ok := pl.claims[volumeClaimID(v.Source)]; ok && v.Source != "" && !komposeEmptyDir(&svc) {
					c.addUser(cl, &svc)
				}
			case types.VolumeTypeBind:
				switch kind, hp := c.bindKind(&svc, v); kind {
				case bindClaim:
					id := bindClaimID(v.Source)
					cl, ok := pl.claims[id]
					if !ok {
						cl = &claim{id: id, what: fmt.Sprintf("%q", c.displayPath(v.Source)), key: "volumes"}
						if err := c.claimSpec(cl, VolumeExtension{}, types.VolumeConfig{}); err != nil {
							return err
						}
						pl.claims[id] = cl
					}
					c.addUser(cl, &svc)
				case bindConfigMap, bindSeeded:
					bm, ok := pl.bindMaps[v.Source]
					if !ok {
						bm = &bindMap{}
						bm.data, bm.left = bindData(hp, v.Source)
						pl.bindMaps[v.Source] = bm
					}
					if !slices.Contains(bm.users, name) {
						bm.users = append(bm.users, name)
					}
					if kind == bindSeeded {
						bm.writable = true
					}
				}
			}
		}
	}
	// A writable bind with content that several services mount is shared
	// on the compose host: one claim, seeded once from the ConfigMap.
	for _, src := range slices.Sorted(maps.Keys(pl.bindMaps)) {
		bm := pl.bindMaps[src]
		if !bm.writable || len(bm.users) < 2 {
			continue
		}
		cl := &claim{id: seedClaimID(src), what: fmt.Sprintf("%q", c.displayPath(src)), key: "volumes"}
		if err := c.claimSpec(cl, VolumeExtension{}, types.VolumeConfig{}); err != nil {
			return err
		}
		for _, u := range bm.users {
			svc, _ := c.podSource(u)
			c.addUser(cl, &svc)
		}
		pl.claims[cl.id] = cl
	}
	// Claims of data directories, named after their project path.
	used := map[string]bool{}    // service + "/" + label: a claim took it
	claimed := map[string]bool{} // services with a claim kompose labels may set
	for _, id := range sortedClaims(pl.claims) {
		cl := pl.claims[id]
		if id.isBind() {
			cl.name = uniqueName(st.claimNames, c.pathName(id.source), id)
			// Service-level kompose labels may size data directories too.
			if err := c.komposeClaim(cl, used); err != nil {
				return err
			}
		} else if !cl.external && len(cl.users) > 0 {
			if err := c.komposeClaim(cl, used); err != nil {
				return err
			}
		}
		if !cl.external {
			for _, u := range cl.users {
				claimed[u] = true
			}
		}
		if !cl.explicit && cl.multi {
			cl.mode = corev1.ReadWriteMany
		}
	}
	for _, name := range p.ServiceNames() {
		for _, l := range []string{komposeVolumeSize, komposeVolumeStorageClass} {
			if _, ok := p.Services[name].Labels[l]; !ok || used[name+"/"+l] {
				continue
			}
			if !claimed[name] {
				c.drop(name, "labels."+l, "the service mounts no named volume or data directory that becomes a claim, dropped")
			} else {
				c.drop(name, "labels."+l, "its claims take the setting from the volume itself or from another service's label, dropped")
			}
		}
	}
	if err := c.prepareConfigs(); err != nil {
		return err
	}
	for _, src := range slices.Sorted(maps.Keys(pl.bindMaps)) {
		pl.bindMaps[src].name = uniqueName(st.mapNames, c.pathName(src), nameOwner{ownerBind, src})
	}
	return nil
}
