import * as fs from "fs";
import { LocalWorkspace, PulumiCommand, Stack, Workspace } from "@pulumi/pulumi/automation";
import { PinnedError } from "../../core/errors";
import { engineEnv } from "./environment";
import { projectEngineCommand } from "./version";
import { projectPulumi, pulumiCli } from "./pulumiCli";
import { CHILD_VARS, passes } from "../../core/childEnv";
import { Env } from "../../core/env";
import { Context } from "../context";

/** The one method of PulumiCommand a workspace calls (internal to the SDK, stable across 3.x). */
type Run = (args: string[], ...rest: unknown[]) => Promise<unknown>;

/**
 * The pulumi CLI: the one `pinned env up` built (the context's
 * $CACHE/bin/pulumi), else the one on PATH. Passed to every workspace, so
 * nothing has to change this process's PATH.
 *
 * `render: true` is for a stack that renders manifests instead of applying
 * them: `up` and `preview` get `--refresh=false`. Pulumi.yaml refreshes
 * before every update so a stale release stack sees the cluster, but a
 * rendering Kubernetes provider has no cluster to read and fails its
 * refresh; the rendered files are the whole truth there, so nothing is lost.
 */
export async function engineCommand(ctx: Pick<Context, "env" | "cacheDir">, opts: { render?: boolean } = {}): Promise<PulumiCommand> {
    // `PulumiCommand.get` runs `pulumi version`: once per command and binary
    // at most, and for the project's own engine once per binary (version.ts).
    const own = projectPulumi(ctx);
    let asked = baseCommands.get(own ?? "");
    if (!asked) {
        asked = own ? projectEngineCommand(own, ctx.cacheDir) : PulumiCommand.get();
        baseCommands.set(own ?? "", asked);
    }
    const base = await asked;
    const run = (base as unknown as { run: Run }).run;
    const command = Object.create(base) as PulumiCommand & { run: Run };
    // The engine runs in a session of its own (setsid), so a terminal's
    // Ctrl-C reaches pinned only, and pinned passes on exactly one
    // interrupt (interrupt.ts): two would make the engine stop at once,
    // leaving pending operations. The engine also dies with pinned
    // (setpriv --pdeathsig): a pinned that is killed holds no lock and no
    // lease any more, so its engine must not go on applying. What the
    // engine starts (language host, providers) has no such tie: the next
    // holder stops it before taking over (locks/holding.ts). The engine's own
    // path is then an argument; its directory is on PATH through engineEnv.
    const wrapped = fs.existsSync(SETSID) && fs.existsSync(SETPRIV);
    // The SDK starts the engine with all of this process's environment
    // plus the workspace's; env -u takes out, by name only (values never
    // reach a command line), what neither the engine nor anything it
    // starts reads (childEnv.ts): COSIGN_PASSWORD, for one. The names come
    // from the context's environment: the command line's context holds this
    // process's own (pipeline/context.ts).
    Object.defineProperty(command, "command", { value: wrapped ? SETSID : ENV });
    command.run = (args: string[], ...rest: unknown[]) => {
        const engineArgs = opts.render && ["up", "preview"].includes(args[0]) ? [...args, "--refresh=false"] : args;
        const unset = notForEngine(rest[1] as Record<string, string> | undefined, ctx.env);
        const argv = wrapped ? [ENV, ...unset, SETPRIV, "--pdeathsig", "KILL", base.command] : [...unset, base.command];
        return run.call(command, [...argv, ...engineArgs], ...rest);
    };
    return command;
}

/** The engine command of each binary ("" for the one on PATH), asked its version once. */
const baseCommands = new Map<string, Promise<PulumiCommand>>();

/** coreutils' env: `env -u NAME` starts a program without that variable. */
const ENV = "/usr/bin/env";

/** `-u NAME` for each variable of `from` the engine does not get (the workspace's own `set` stay). */
export function notForEngine(set: Record<string, string> | undefined, from: Env): string[] {
    return Object.keys(from)
        .filter((name) => !passes(name, CHILD_VARS.engine) && !(set && name in set))
        .flatMap((name) => ["-u", name]);
}

/** util-linux's setsid: runs a program in a new session (no controlling terminal's signals). */
const SETSID = "/usr/bin/setsid";
/** util-linux's setpriv: here only to make the engine receive SIGKILL when pinned dies. */
const SETPRIV = "/usr/bin/setpriv";

/** A workspace on the context's project, with the engine's environment plus `extraEnv`. */
export async function projectWorkspace(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    extraEnv: Record<string, string> = {},
    opts: { render?: boolean } = {},
): Promise<LocalWorkspace> {
    return LocalWorkspace.create({
        workDir: ctx.projectDir,
        envVars: { ...engineEnv(ctx), ...extraEnv },
        pulumiCommand: await engineCommand(ctx, opts),
    });
}

/**
 * Sets a secret stack setting with the value on the engine's stdin: the
 * Automation API's setConfig passes values as arguments, which any local
 * user can read in `ps` while the engine runs.
 */
export async function setSecretConfig(
    ctx: Pick<Context, "env" | "cacheDir">,
    workspace: LocalWorkspace,
    stack: string,
    key: string,
    value: string,
): Promise<void> {
    const r = await pulumiCli(ctx, ["config", "set", "--secret", "--stack", stack, key], {
        cwd: workspace.workDir,
        env: workspace.envVars,
        what: `set ${key} of stack ${stack}`,
        input: value,
    });
    if (r.status !== 0) {
        throw new PinnedError(
            `pulumi config set --secret ${key} failed for stack ${stack}: ${(r.stderr || r.stdout).trim()}`,
            "check the passphrase (PULUMI_CONFIG_PASSPHRASE or the cache's passphrase file) and the backend, then try again.",
        );
    }
}

/**
 * The stack, for one `up` that does not read its results back: after the
 * update the Automation API runs `pulumi stack output` twice and
 * `pulumi stack history` once to fill in UpResult, about 1.2 s on 2 cores.
 * pinned takes the stack's outputs from the engine's own events instead
 * (EngineProgress.stackOutputs), and needs no summary.
 */
export function withoutResultReadback(stack: Stack): Stack {
    return Object.create(stack, {
        outputs: { value: async () => ({}) },
        info: { value: async () => undefined },
    }) as Stack;
}

/**
 * A stack known to exist, without `pulumi stack select` (a run of about
 * 0.2 s whose only effect is the workspace's current stack): every command
 * the Automation API runs for a stack names it with --stack.
 */
export function existingStack(name: string, workspace: Workspace): Stack {
    return Object.assign(Object.create(Stack.prototype) as Stack, { name, workspace, ready: Promise.resolve() });
}
