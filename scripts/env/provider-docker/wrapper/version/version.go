// Package version holds the plugin version, set at build time with
//
//	-ldflags "-X pinned.local/provider-docker/version.Version=4.6.2"
//
// It must equal the "pulumi": {"version"} of the npm package @pulumi/docker,
// or the engine will not match the plugin to the SDK.
package version

// Version is the plugin version (no leading "v").
var Version = "0.0.0-dev"
