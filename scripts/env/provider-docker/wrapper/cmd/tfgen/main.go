// tfgen writes the Pulumi schema of the docker plugin:
//
//	tfgen schema --skip-docs --skip-examples --out cmd/pulumi-resource-docker
//
// which produces schema.json and bridge-metadata.json, both embedded into the
// provider binary at its next build.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	docker "pinned.local/provider-docker"
	"pinned.local/provider-docker/version"
)

func main() {
	tfgen.Main("docker", version.Version, docker.Provider())
}
