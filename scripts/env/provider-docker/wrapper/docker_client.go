package docker

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/docker/client"
)

// dockerClient talks to the daemon the provider is configured for: the
// "host" setting (or DOCKER_HOST, or the default socket) and, for TLS, either
// certPath (a directory with ca.pem, cert.pem and key.pem) or the PEM
// material itself (caMaterial, certMaterial, keyMaterial), as the bridged
// resources do.
func dockerClient(config map[string]string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host := config["host"]; host != "" {
		opts = append(opts, client.WithHost(host))
	}
	if dir := config["certPath"]; dir != "" {
		opts = append(opts, client.WithTLSClientConfig(
			filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	} else if config["certMaterial"] != "" || config["caMaterial"] != "" {
		// The client reads the files once, when it is made; they are removed
		// right after.
		dir, err := os.MkdirTemp("", "pulumi-docker-tls-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		paths := map[string]string{"caMaterial": "ca.pem", "certMaterial": "cert.pem", "keyMaterial": "key.pem"}
		for key, file := range paths {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(config[key]), 0o600); err != nil {
				return nil, err
			}
		}
		opts = append(opts, client.WithTLSClientConfig(
			filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	}
	c, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to the Docker daemon: %w", err)
	}
	return c, nil
}
