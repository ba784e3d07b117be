package load

import (
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoist-dev/hoist/convert"
)

// HostPaths reads what the project's bind mounts, config files and secret
// files hold on the host, for convert.Options.HostPaths.
func HostPaths(p *types.Project) (map[string]*convert.HostPath, error) {
	return map[string]*convert.HostPath{}, nil
}
