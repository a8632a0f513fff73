import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { cacheDir, engineEnv, PROJECT_DIR } from "./environment";

/** The one method of PulumiCommand a workspace calls (internal to the SDK, stable across 3.x). */
type Run = (args: string[], ...rest: unknown[]) => Promise<unknown>;

/**
 * The pulumi CLI: the one `pinned env up` built ($CACHE/bin/pulumi), else
 * the one on PATH. Passed to every workspace, so nothing has to change this
 * process's PATH.
 *
 * `render: true` is for a stack that renders manifests instead of applying
 * them: `up` and `preview` get `--refresh=false`. Pulumi.yaml refreshes
 * before every update so a stale release stack sees the cluster, but a
 * rendering Kubernetes provider has no cluster to read and fails its
 * refresh; the rendered files are the whole truth there, so nothing is lost.
 */
export async function engineCommand(opts: { render?: boolean } = {}): Promise<PulumiCommand> {
    const root = cacheDir();
    const base = fs.existsSync(path.join(root, "bin", "pulumi")) ? await PulumiCommand.get({ root }) : await PulumiCommand.get();
    if (!opts.render) {
        return base;
    }
    const run = (base as unknown as { run: Run }).run.bind(base);
    const command = Object.create(base) as PulumiCommand & { run: Run };
    command.run = (args: string[], ...rest: unknown[]) =>
        run(["up", "preview"].includes(args[0]) ? [...args, "--refresh=false"] : args, ...rest);
    return command;
}

/** A workspace on the project, with the engine's environment plus `extraEnv`. */
export async function projectWorkspace(extraEnv: Record<string, string> = {}, opts: { render?: boolean } = {}): Promise<LocalWorkspace> {
    return LocalWorkspace.create({
        workDir: PROJECT_DIR,
        envVars: { ...engineEnv(), ...extraEnv },
        pulumiCommand: await engineCommand(opts),
    });
}
