// Package shim is copied by scripts/env/provider-docker.sh into a writable
// copy of the Terraform Docker provider module. That provider lives under
// internal/, which another module may not import; this small exported
// package hands its SDKv2 provider to the bridge wrapper, conformed to what
// @pulumi/docker 4.6.2 expects (conform.go).
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the Terraform Docker provider (SDKv2 part), stamped
// with the given version string.
func NewProvider(version string) *schema.Provider {
	p := provider.New(version)()
	conform(p)
	return p
}
