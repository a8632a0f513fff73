import { PulumiCommand } from "@pulumi/pulumi/automation";

/** The one method of PulumiCommand the workspace calls (internal to the SDK, stable across 3.x). */
type Run = (args: string[], ...rest: unknown[]) => Promise<unknown>;

/**
 * The pulumi CLI, for a stack that renders manifests instead of applying
 * them: `up` and `preview` get `--refresh=false`. Pulumi.yaml refreshes
 * before every update so a stale release stack sees the cluster, but a
 * rendering Kubernetes provider has no cluster to read and fails its
 * refresh; rendered files are the whole truth there, so nothing is lost.
 * (Driving the engine by hand: `pulumi up --refresh=false` when rendering.)
 */
export async function renderingCommand(): Promise<PulumiCommand> {
    const base = await PulumiCommand.get();
    const run = (base as unknown as { run: Run }).run.bind(base);
    const command = Object.create(base) as PulumiCommand & { run: Run };
    command.run = (args: string[], ...rest: unknown[]) => run(["up", "preview"].includes(args[0]) ? [...args, "--refresh=false"] : args, ...rest);
    return command;
}
