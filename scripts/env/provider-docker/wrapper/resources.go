// Package docker maps the Terraform Docker provider (kreuzwerker) onto the
// Pulumi package "docker", so that the npm SDK @pulumi/docker (4.6.2) can
// drive it. scripts/env/provider-docker.sh copies this directory into a
// wrapper module under the cache and builds two binaries from it: tfgen
// (writes schema.json and bridge-metadata.json) and the plugin itself.
//
// The mapping is written for this project; it follows the names the npm SDK
// sends on the wire, which are what matter at run time.
package docker

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/terraform-providers/terraform-provider-docker/shim"

	"pinned.local/provider-docker/version"
)

// Written by tfgen next to the plugin's main package; a placeholder "{}"
// before the first tfgen run.
//
//go:embed cmd/pulumi-resource-docker/bridge-metadata.json
var bridgeMetadata []byte

const (
	pkgName = "docker"
	mainMod = "index" // every resource and function lives in docker:index/...
)

// Provider returns the bridge's description of the docker plugin.
func Provider() tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(shim.NewProvider(version.Version)),
		Name:        pkgName,
		Version:     version.Version,
		DisplayName: "Docker",
		// How a user tells this plugin from the official one, which says "A
		// Pulumi package for interacting with Docker in Pulumi programs".
		Description: "Docker resources for Pulumi, built by pinned env up: the Terraform Docker provider behind the Pulumi bridge, and an Image resource of its own.",
		Keywords:    []string{"docker"},
		License:     "Apache-2.0",
		GitHubOrg:   "kreuzwerker",
		// Provider configuration. The npm SDK sends these camelCase names.
		Config: map[string]*tfbridge.SchemaInfo{
			// Terraform marks host as required and falls back to DOCKER_HOST or
			// the default socket; say the same in the Pulumi schema.
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					Value:   "unix:///var/run/docker.sock",
				},
			},
			// A set without MaxItems: the bridge would pluralise it to
			// "registryAuths"; the SDK sends "registryAuth" (a list).
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// Terraform's docker_image pulls or builds an image on the daemon;
			// the SDK calls it RemoteImage ("Image" is the plugin's own
			// resource, image.go).
			"docker_image": {
				Tok: tfbridge.MakeResource(pkgName, mainMod, "RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{
					// The image's name is what it is pulled or built as: never
					// invented, so auto-naming leaves it out.
					"name":  {Name: "name"},
					"build": {Elem: &tfbridge.SchemaInfo{Fields: buildFields()}},
				},
			},
			"docker_registry_image": {
				Tok:    tfbridge.MakeResource(pkgName, mainMod, "RegistryImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"build": {Elem: &tfbridge.SchemaInfo{Fields: buildFields()}}},
			},
			// Lists the bridge would pluralise; the SDK keeps the singular.
			"docker_container": {
				Tok: tfbridge.MakeResource(pkgName, mainMod, "Container"),
				// A container's name is unique on the daemon: the old one goes
				// before its replacement starts.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			// The SDK names docker_config "ServiceConfig".
			"docker_config": {Tok: tfbridge.MakeResource(pkgName, mainMod, "ServiceConfig")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getRemoteImage")},
		},
		// Written by the plugin itself, not by Terraform (image.go).
		ExtraResources: map[string]pschema.ResourceSpec{imageToken: imageResource()},
		ExtraTypes:     imageTypes(),
		MetadataInfo:   tfbridge.NewProviderMetadata(bridgeMetadata),
	}

	// Everything not named above: docker_foo_bar -> docker:index/fooBar:FooBar
	// (data sources: docker:index/getFooBar:getFooBar).
	prov.MustComputeTokens(tokens.SingleModule("docker_", mainMod, tokens.MakeStandard(pkgName)))
	// A resource declared without a name gets "<resource name>-<7 random
	// hex>", as in the official plugin (Container, Network, Volume, …).
	prov.SetAutonaming(255, "-")
	return prov
}

// buildFields pins the names inside the "build" block to the ones the npm SDK
// 4.6.2 sends (types/input.d.ts RemoteImageBuild). Most equal the bridge's
// automatic names; they are spelled out so a bridge upgrade cannot rename
// them silently.
func buildFields() map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{
		"auth_config":  {Name: "authConfigs"},
		"build_arg":    {Name: "buildArg"},
		"build_args":   {Name: "buildArgs"},
		"cache_from":   {Name: "cacheFroms"},
		"extra_hosts":  {Name: "extraHosts"},
		"label":        {Name: "label"},
		"labels":       {Name: "labels"},
		"security_opt": {Name: "securityOpts"},
		"tag":          {Name: "tags"},
		"ulimit":       {Name: "ulimits"},
	}
}
