import type { Context } from "../pipeline/context";
import { CommandSpec, usageOf } from "./args";

/**
 * One `pinned` command: its module in cli/commands/ exports it as
 * `command`. The command list (cli/commands/index.ts) names each module;
 * cli/main.ts dispatches from that list, and cli/usage.ts makes the
 * top-level usage from it.
 */
export interface Command<Workflow = unknown> {
    /** Its options, positionals and description: the parser and its --help are made from it. */
    readonly spec: CommandSpec;
    /** What it does, in the top-level usage's command list; a few words. */
    readonly summary: string;
    /** It reaches a cluster: the embedded cluster's check starts early and KUBECONFIG is checked before it runs. */
    readonly cluster: boolean;
    /**
     * Loads the workflow modules `run` calls, only when the command runs:
     * --help and the top-level usage, which load the command's module, then
     * never load the Pulumi SDK a workflow may pull. A cluster command's
     * check of the cluster runs meanwhile.
     */
    load(): Promise<Workflow>;
    /** Parses `args`, makes one call into the workflow, prints; resolves to the exit code. */
    run(args: string[], ctx: Context, workflow: Workflow): number | Promise<number>;
}

/** A usage error: the command's usage on stderr, exit 2. */
export function usageError(spec: CommandSpec): number {
    process.stderr.write(`${usageOf(spec)}\n`);
    return 2;
}
