package shim

// conform makes the Terraform provider accept what @pulumi/docker 4.6.2
// sends and behave as the official docker plugin 4.6.2 does. That plugin
// wraps an older Terraform provider; the one built here is newer, and these
// are the places where the two differ for a program written against the
// SDK (each is covered by the project's conformance tests):
//
//   - build.buildArg (a map) exists in the SDK and is used by Pulumi's own
//     RemoteImage example; the newer provider dropped it. It is accepted and
//     merged into buildArgs for the build.
//   - build.labels is what the official plugin puts on the image; the newer
//     provider's default (buildx) path reads only build.label. Both are
//     applied, labels winning on a clash.
//   - Network.checkDuplicate exists in the SDK; a network whose name is
//     taken is refused, as the Docker API did when asked to check.
//   - A Container that must run but whose command exits at once is an
//     error ("container exited immediately"), as in the official plugin,
//     instead of being reported created.
//   - Fields the official schema requires and the newer provider made
//     optional are required again (ServiceConfig data, a healthcheck's
//     test, a service network's name), so a program the official plugin
//     refuses is refused here too.
//
// Each change either adds a field or wraps a create function; the state a
// resource records is what its program declared.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/hashicorp/terraform-plugin-sdk/v2/diag"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

func conform(p *schema.Provider) {
	for _, name := range []string{"docker_image", "docker_registry_image"} {
		r := p.ResourcesMap[name]
		if r == nil {
			continue
		}
		addBuildArg(r)
		r.CreateContext = withEffectiveBuild(r.CreateContext)
	}
	if r := p.ResourcesMap["docker_network"]; r != nil {
		r.Schema["check_duplicate"] = &schema.Schema{
			Type:        schema.TypeBool,
			Description: "Refuse to create the network when one with the same name exists.",
			Optional:    true,
			ForceNew:    true,
		}
		r.CreateContext = withDuplicateCheck(r.CreateContext)
	}
	if r := p.ResourcesMap["docker_container"]; r != nil {
		r.CreateContext = withRunningCheck(r.CreateContext)
	}
	requireAsOfficial(p)
}

// requireAsOfficial makes required what the official schema requires.
func requireAsOfficial(p *schema.Provider) {
	if r := p.ResourcesMap["docker_config"]; r != nil {
		if data, raw := r.Schema["data"], r.Schema["data_raw"]; data != nil && raw != nil {
			data.Required, data.Optional, data.ExactlyOneOf = true, false, nil
			raw.ExactlyOneOf = nil // data_raw, an extra of the newer provider, may come along
		}
	}
	require(p.ResourcesMap["docker_container"], "healthcheck", "test")
	require(p.ResourcesMap["docker_service"], "task_spec", "networks_advanced", "name")
	require(p.ResourcesMap["docker_service"], "task_spec", "container_spec", "healthcheck", "test")
}

// require marks the field at path (through nested blocks) required.
func require(r *schema.Resource, path ...string) {
	for i, name := range path {
		if r == nil {
			return
		}
		field, ok := r.Schema[name]
		if !ok {
			return
		}
		if i == len(path)-1 {
			field.Required, field.Optional, field.Computed, field.Default = true, false, false, nil
			return
		}
		r, _ = field.Elem.(*schema.Resource)
	}
}

// addBuildArg declares build.build_arg next to build.build_args.
func addBuildArg(r *schema.Resource) {
	build, ok := r.Schema["build"]
	if !ok {
		return
	}
	elem, ok := build.Elem.(*schema.Resource)
	if !ok {
		return
	}
	if _, exists := elem.Schema["build_arg"]; exists {
		return
	}
	elem.Schema["build_arg"] = &schema.Schema{
		Type:        schema.TypeMap,
		Description: "Build-time variables, as in build_args (the name older providers used).",
		Optional:    true,
		ForceNew:    true,
		Elem:        &schema.Schema{Type: schema.TypeString},
	}
}

// withEffectiveBuild runs a create with the build block the official plugin
// would have used (buildArg merged into buildArgs, labels into label), and
// puts the declared block back into the state afterwards.
func withEffectiveBuild(create schema.CreateContextFunc) schema.CreateContextFunc {
	return func(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
		declared, ok := d.GetOk("build")
		if !ok {
			return create(ctx, d, meta)
		}
		set, ok := declared.(*schema.Set)
		if !ok || set.Len() == 0 {
			return create(ctx, d, meta)
		}
		effective := make([]interface{}, 0, set.Len())
		for _, raw := range set.List() {
			effective = append(effective, effectiveBuild(raw.(map[string]interface{})))
		}
		if err := d.Set("build", effective); err != nil {
			return diag.FromErr(err)
		}
		diags := create(ctx, d, meta)
		if err := d.Set("build", set.List()); err != nil {
			diags = append(diags, diag.FromErr(err)...)
		}
		return diags
	}
}

func effectiveBuild(build map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(build))
	for k, v := range build {
		out[k] = v
	}
	out["build_args"] = mergeMaps(asMap(build["build_arg"]), asMap(build["build_args"]))
	out["label"] = mergeMaps(asMap(build["label"]), asMap(build["labels"]))
	out["labels"] = mergeMaps(asMap(build["label"]), asMap(build["labels"]))
	return out
}

func asMap(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	return m
}

// mergeMaps returns a ∪ b; b wins on a clash.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func withDuplicateCheck(create schema.CreateContextFunc) schema.CreateContextFunc {
	return func(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
		if check, _ := d.Get("check_duplicate").(bool); check {
			client, err := meta.(*provider.ProviderConfig).MakeClient(ctx, d)
			if err != nil {
				return diag.FromErr(fmt.Errorf("failed to create Docker client: %w", err))
			}
			name := d.Get("name").(string)
			found, err := client.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
			if err != nil {
				return diag.FromErr(fmt.Errorf("listing networks: %w", err))
			}
			for _, n := range found {
				if n.Name == name { // the filter matches substrings
					return diag.Errorf("network with name %s already exists", name)
				}
			}
		}
		return create(ctx, d, meta)
	}
}

// withRunningCheck fails a create whose container must run but stopped, as
// the official plugin does. The stopped container is removed and nothing is
// recorded, so the next update tries a fresh one and no container is left
// behind unmanaged.
func withRunningCheck(create schema.CreateContextFunc) schema.CreateContextFunc {
	return func(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
		// Read before the create: its final read sets must_run to false in
		// the state when the container has stopped.
		mustRun, _ := d.Get("must_run").(bool)
		attach, _ := d.Get("attach").(bool) // an attached container is meant to finish
		diags := create(ctx, d, meta)
		if diags.HasError() || d.Id() == "" || !mustRun || attach {
			return diags
		}
		client, err := meta.(*provider.ProviderConfig).MakeClient(ctx, d)
		if err != nil {
			return append(diags, diag.FromErr(fmt.Errorf("failed to create Docker client: %w", err))...)
		}
		timeout := time.Duration(d.Get("container_read_refresh_timeout_milliseconds").(int)) * time.Millisecond
		state, err := waitRunning(ctx, client, d.Id(), timeout)
		if err != nil {
			return append(diags, diag.FromErr(err)...)
		}
		if state != nil && !state.Running {
			id := d.Id()
			if err := client.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
				return append(diags, diag.Errorf("container %s exited immediately and could not be removed: %s", id, err)...)
			}
			d.SetId("")
			return append(diags, diag.Errorf("container exited immediately (status %s, exit code %d%s)",
				state.Status, state.ExitCode, errorSuffix(state.Error))...)
		}
		return diags
	}
}

type containerInspector interface {
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

const settleTime = 300 * time.Millisecond

// waitRunning polls until the container runs or has stopped for good; it
// returns the last state seen. A command that exits at once can still be
// seen running by the first look, so a running container is looked at again
// after a short settle time.
func waitRunning(ctx context.Context, client containerInspector, id string, timeout time.Duration) (*container.State, error) {
	deadline := time.Now().Add(timeout)
	settled := false
	for {
		info, err := client.ContainerInspect(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("inspecting container %s: %w", id, err)
		}
		state := info.State
		if state == nil {
			return nil, nil
		}
		if state.Running {
			if settled {
				return state, nil
			}
			settled = true
			time.Sleep(settleTime)
			continue
		}
		// Created or restarting: it may still come up. Exited or dead, with
		// no restart coming: it is not going to.
		if (state.Status == "exited" || state.Status == "dead") && !state.Restarting {
			return state, nil
		}
		if time.Now().After(deadline) {
			return state, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func errorSuffix(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	return ": " + msg
}
