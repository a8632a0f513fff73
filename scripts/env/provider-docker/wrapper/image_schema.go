package docker

import (
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// The docker:index/image:Image resource is not a Terraform resource: the
// plugin implements it itself (image.go). Its schema is declared here, with
// the names, types and required-ness @pulumi/docker 4.6.2 declares for it
// (image.d.ts, types/input.d.ts), and tfgen writes it into schema.json next
// to the bridged resources.

const (
	imageToken          = "docker:index/image:Image"
	dockerBuildToken    = "docker:index/DockerBuild:DockerBuild"
	cacheFromToken      = "docker:index/CacheFrom:CacheFrom"
	registryToken       = "docker:index/Registry:Registry"
	builderVersionToken = "docker:index/BuilderVersion:BuilderVersion"
)

func ref(token string) pschema.TypeSpec { return pschema.TypeSpec{Ref: "#/types/" + token} }

var (
	stringType  = pschema.TypeSpec{Type: "string"}
	booleanType = pschema.TypeSpec{Type: "boolean"}
	stringList  = pschema.TypeSpec{Type: "array", Items: &stringType}
	stringMap   = pschema.TypeSpec{Type: "object", AdditionalProperties: &stringType}
)

func prop(t pschema.TypeSpec, description string) pschema.PropertySpec {
	return pschema.PropertySpec{TypeSpec: t, Description: description}
}

func secretProp(t pschema.TypeSpec, description string) pschema.PropertySpec {
	p := prop(t, description)
	p.Secret = true
	return p
}

func object(description string, props map[string]pschema.PropertySpec, required ...string) pschema.ComplexTypeSpec {
	return pschema.ComplexTypeSpec{ObjectTypeSpec: pschema.ObjectTypeSpec{
		Type: "object", Description: description, Properties: props, Required: required,
	}}
}

func imageTypes() map[string]pschema.ComplexTypeSpec {
	return map[string]pschema.ComplexTypeSpec{
		dockerBuildToken: object("How to build the image: the build context, the Dockerfile and the build's options.",
			map[string]pschema.PropertySpec{
				"addHosts":       prop(stringList, "Custom host-to-IP mappings for the build, as `host:ip`."),
				"args":           prop(stringMap, "Build-time variables (`--build-arg`)."),
				"builderVersion": prop(ref(builderVersionToken), "The builder: `BuilderBuildKit` (default) or `BuilderV1`."),
				"cacheFrom":      prop(ref(cacheFromToken), "Images to use as cache sources; they are pulled first."),
				"context":        prop(stringType, "The build context: a directory. Defaults to the current directory."),
				"dockerfile":     prop(stringType, "The Dockerfile, relative to the program's directory. Defaults to `<context>/Dockerfile`."),
				"network":        prop(stringType, "The network mode of RUN steps, e.g. `host`."),
				"platform":       prop(stringType, "The platform to build for, e.g. `linux/amd64`. Defaults to the host's."),
				"target":         prop(stringType, "The stage of a multi-stage Dockerfile to build."),
			}),
		cacheFromToken: object("Images to use as build cache sources.",
			map[string]pschema.PropertySpec{
				"images": prop(stringList, "Fully qualified image names."),
			}),
		registryToken: object("The registry to push to, and its credentials.",
			map[string]pschema.PropertySpec{
				"server":   prop(stringType, "The registry's address, e.g. `127.0.0.1:5000`."),
				"username": prop(stringType, "The user name."),
				"password": secretProp(stringType, "The password."),
			}),
		builderVersionToken: {
			ObjectTypeSpec: pschema.ObjectTypeSpec{Type: "string", Description: "The Docker builder to use."},
			Enum: []pschema.EnumValueSpec{
				{Name: "BuilderV1", Value: "BuilderV1", Description: "The classic builder."},
				{Name: "BuilderBuildKit", Value: "BuilderBuildKit", Description: "BuildKit."},
			},
		},
	}
}

func imageResource() pschema.ResourceSpec {
	return pschema.ResourceSpec{
		ObjectTypeSpec: pschema.ObjectTypeSpec{
			Type:        "object",
			Description: "Builds a Docker image from a context and a Dockerfile, and pushes it to a registry (unless `skipPush`).",
			Properties: map[string]pschema.PropertySpec{
				"baseImageName":  prop(stringType, "The image name as given, before the registry's digest is known."),
				"context":        prop(stringType, "The build context's path."),
				"dockerfile":     prop(stringType, "The Dockerfile's path, relative to the context."),
				"imageName":      prop(stringType, "The image name as given."),
				"platform":       prop(stringType, "The platform the image was built for."),
				"registryServer": prop(stringType, "The registry the image was pushed to."),
				"repoDigest":     prop(stringType, "`repository@sha256:…` as the registry stored it; the image ID when not pushed."),
			},
			Required: []string{"baseImageName", "context", "dockerfile", "imageName", "registryServer", "repoDigest"},
		},
		InputProperties: map[string]pschema.PropertySpec{
			"build":          prop(ref(dockerBuildToken), "How to build the image."),
			"buildOnPreview": prop(booleanType, "Build during previews too. Defaults to false."),
			"imageName":      prop(stringType, "The image's fully qualified name with a tag, e.g. `127.0.0.1:5000/app:v1`."),
			"registry":       prop(ref(registryToken), "The registry to push to and its credentials."),
			"skipPush":       prop(booleanType, "Build without pushing. Defaults to false."),
		},
		RequiredInputs: []string{"imageName"},
	}
}
