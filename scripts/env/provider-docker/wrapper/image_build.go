package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	clibuild "github.com/docker/cli/cli/command/image/build"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types"
	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	archive "github.com/moby/go-archive"
)

// buildAndPush builds spec on the Docker daemon, tags it with its name and,
// unless skipPush or preview, pushes it; it returns the Image outputs.
func buildAndPush(ctx context.Context, spec imageSpec, config map[string]string, preview bool, status func(string)) (map[string]interface{}, error) {
	docker, err := dockerClient(config)
	if err != nil {
		return nil, err
	}
	defer docker.Close()

	cfg := userDockerConfig()
	pushing := !spec.SkipPush && !preview
	var auth registry.AuthConfig
	if pushing || len(spec.CacheFrom) > 0 {
		host, err := registryHost(spec.Registry.Server, spec.Name)
		if err != nil {
			return nil, err
		}
		auth = authFor(cfg, host, spec.Registry)
		if auth.Username != "" {
			// In memory only: the build's session hands it to the daemon.
			cfg.AuthConfigs[host] = clitypes.AuthConfig(auth)
		}
	}

	relDockerfile, err := relativeDockerfile(spec.Context, spec.Dockerfile)
	if err != nil {
		return nil, err
	}
	status("Building the image")
	if err := runBuild(ctx, docker, spec, cfg, status); err != nil {
		return nil, err
	}

	outputs := map[string]interface{}{
		"baseImageName":  spec.Name,
		"context":        spec.Context,
		"dockerfile":     relDockerfile,
		"imageName":      spec.Name,
		"platform":       spec.Platform,
		"registryServer": spec.Registry.Server,
	}
	if !pushing {
		inspect, err := docker.ImageInspect(ctx, spec.Name)
		if err != nil {
			return nil, fmt.Errorf("inspecting the built image %s: %w", spec.Name, err)
		}
		outputs["repoDigest"] = inspect.ID
		return outputs, nil
	}
	status("Pushing the image to the registry")
	digest, err := push(ctx, docker, spec.Name, auth)
	if err != nil {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(spec.Name)
	if err != nil {
		return nil, err
	}
	outputs["repoDigest"] = reference.TrimNamed(named).String() + "@" + digest
	return outputs, nil
}

// userDockerConfig is the user's Docker client configuration (credentials for
// registries other than the one given), never written back.
func userDockerConfig() *configfile.ConfigFile {
	cfg := config.LoadDefaultConfigFile(io.Discard)
	if cfg.AuthConfigs == nil {
		cfg.AuthConfigs = map[string]clitypes.AuthConfig{}
	}
	return cfg
}

// authFor is the registry input's credentials when it has a user name, else
// what the Docker configuration holds for the host.
func authFor(cfg *configfile.ConfigFile, host string, r registrySpec) registry.AuthConfig {
	if r.Username != "" {
		return registry.AuthConfig{Username: r.Username, Password: r.Password, ServerAddress: host}
	}
	stored, err := cfg.GetAuthConfig(host)
	if err != nil {
		return registry.AuthConfig{ServerAddress: host}
	}
	return registry.AuthConfig(stored)
}

// relativeDockerfile is the Dockerfile's path from the context, as the
// output reports it.
func relativeDockerfile(contextDir, dockerfile string) (string, error) {
	absContext, err := filepath.Abs(contextDir)
	if err != nil {
		return "", err
	}
	absDockerfile, err := filepath.Abs(dockerfile)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absContext, absDockerfile)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

func runBuild(ctx context.Context, docker *client.Client, spec imageSpec, cfg *configfile.ConfigFile, status func(string)) error {
	excludes, err := ignorePatterns(spec.Context, spec.Dockerfile)
	if err != nil {
		return err
	}
	rel, err := relativeDockerfile(spec.Context, spec.Dockerfile)
	if err != nil {
		return err
	}
	outside := rel == ".." || strings.HasPrefix(rel, "../")
	if !outside {
		excludes = clibuild.TrimBuildFilesFromExcludes(excludes, rel, false)
	}
	tar, err := archive.TarWithOptions(spec.Context, &archive.TarOptions{
		ExcludePatterns: excludes,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return fmt.Errorf("reading the build context %s: %w", spec.Context, err)
	}
	defer tar.Close()
	body := io.ReadCloser(tar)
	if outside {
		f, err := os.Open(spec.Dockerfile)
		if err != nil {
			return err
		}
		body, rel, err = clibuild.AddDockerfileToBuildContext(f, tar)
		if err != nil {
			return err
		}
	}

	auths := map[string]registry.AuthConfig{}
	for host, a := range cfg.AuthConfigs {
		auths[host] = registry.AuthConfig(a)
	}
	opts := dockerbuild.ImageBuildOptions{
		Dockerfile:  rel,
		Tags:        []string{spec.Name},
		BuildArgs:   spec.Args,
		Target:      spec.Target,
		Platform:    spec.Platform,
		NetworkMode: spec.Network,
		ExtraHosts:  spec.AddHosts,
		CacheFrom:   spec.CacheFrom,
		Version:     spec.BuilderVersion,
		AuthConfigs: auths,
		Remove:      true,
	}
	for _, cached := range spec.CacheFrom {
		if err := pullQuietly(ctx, docker, cached, cfg); err != nil {
			status(fmt.Sprintf("cacheFrom image %s not available: %v", cached, err))
		}
	}
	if spec.BuilderVersion == dockerbuild.BuilderBuildKit {
		// BuildKit asks the client for credentials over a session.
		sess, err := session.NewSession(ctx, "pulumi-docker-image")
		if err != nil {
			return err
		}
		sess.Allow(authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{ConfigFile: cfg}))
		dial := func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return docker.DialHijack(ctx, "/session", proto, meta)
		}
		done := make(chan struct{})
		go func() { _ = sess.Run(ctx, dial); close(done) }()
		defer func() { _ = sess.Close(); <-done }()
		opts.SessionID = sess.ID()
	}
	resp, err := docker.ImageBuild(ctx, body, opts)
	if err != nil {
		return fmt.Errorf("docker build: %w", err)
	}
	defer resp.Body.Close()
	return readStream(resp.Body, nil, status)
}

func pullQuietly(ctx context.Context, docker *client.Client, name string, cfg *configfile.ConfigFile) error {
	host := reference.Domain(mustNamed(name))
	encoded, err := encodeAuth(authFor(cfg, host, registrySpec{}))
	if err != nil {
		return err
	}
	rc, err := docker.ImagePull(ctx, name, image.PullOptions{RegistryAuth: encoded})
	if err != nil {
		return err
	}
	defer rc.Close()
	return readStream(rc, nil, func(string) {})
}

func mustNamed(name string) reference.Named {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		named, _ = reference.ParseNormalizedNamed("invalid")
	}
	return named
}

func encodeAuth(auth registry.AuthConfig) (string, error) {
	b, err := json.Marshal(auth)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// push pushes name and returns the digest the registry reported.
func push(ctx context.Context, docker *client.Client, name string, auth registry.AuthConfig) (string, error) {
	encoded, err := encodeAuth(auth)
	if err != nil {
		return "", err
	}
	rc, err := docker.ImagePush(ctx, name, image.PushOptions{RegistryAuth: encoded})
	if err != nil {
		return "", fmt.Errorf("docker push %s: %w", name, err)
	}
	defer rc.Close()
	var digest string
	err = readStream(rc, func(aux json.RawMessage) {
		var result types.PushResult
		if json.Unmarshal(aux, &result) == nil && result.Digest != "" {
			digest = result.Digest
		}
	}, func(string) {})
	if err != nil {
		return "", fmt.Errorf("docker push %s: %w", name, err)
	}
	if digest == "" {
		return "", fmt.Errorf("docker push %s: the registry reported no digest", name)
	}
	return digest, nil
}

// readStream reads the daemon's JSON progress stream: it fails on the first
// error message (with the lines before it), hands aux messages to onAux and
// step lines to status.
func readStream(r io.Reader, onAux func(json.RawMessage), status func(string)) error {
	dec := json.NewDecoder(r)
	var tail []string
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != nil {
			return fmt.Errorf("%s%s", m.Error.Message, formatTail(tail))
		}
		if m.Aux != nil && onAux != nil {
			onAux(*m.Aux)
		}
		if line := strings.TrimSpace(m.Stream); line != "" {
			tail = append(tail, line)
			if len(tail) > 20 {
				tail = tail[1:]
			}
			if strings.HasPrefix(line, "Step ") || strings.HasPrefix(line, "#") {
				status(line)
			}
		}
	}
}

func formatTail(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "\nlast build output:\n  " + strings.Join(lines, "\n  ")
}
