import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { CHILD_VARS, childEnv } from "../../core/childEnv";
import { Context } from "../context";

/**
 * The one way pinned runs the pulumi CLI itself, for what the Automation
 * API's workspace (workspace.ts) does not do or does in a way pinned must
 * avoid: a preview in a temporary project, `stack ls`, `stack export`,
 * `config set --secret` with the value on stdin.
 */

/** What one pulumi run returned. */
export interface PulumiResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Seconds one pulumi CLI run may take: a backend read or write, a config change. */
export const PULUMI_CLI_TIMEOUT_S = 60;

export interface PulumiCliOptions {
    /** The project directory the engine runs in. */
    readonly cwd: string;
    /** What pinned sets for this run (engineEnv() and the like), over what passes from its own environment. */
    readonly env: Record<string, string>;
    /** What pinned is doing, for the error: "export the state of stack r1". */
    readonly what: string;
    /** Written to the engine's stdin (a secret, never an argument). */
    readonly input?: string;
    /** Seconds a run that waits by design (a preview reads every resource from the cluster) may take instead of PULUMI_CLI_TIMEOUT_S. */
    readonly wait?: number;
}

/**
 * Runs `pulumi <args>` without blocking the event loop (a Lease is renewed
 * while pinned works). Of the context's environment the engine gets only
 * what it, or something it starts, reads (childEnv's engine rule, the one
 * engineCommand's `env -u` applies), then `opts.env`. A run that outlasts
 * its time is killed and rejects with a PinnedError naming `what`; its exit
 * status is the caller's to judge.
 */
export async function pulumiCli(ctx: Pick<Context, "env" | "cacheDir">, args: string[], opts: PulumiCliOptions): Promise<PulumiResult> {
    const seconds = opts.wait ?? PULUMI_CLI_TIMEOUT_S;
    const binary = pulumiBinary(ctx);
    return new Promise((resolve, reject) => {
        const child = spawn(binary, args, {
            cwd: opts.cwd,
            env: childEnv(CHILD_VARS.engine, opts.env, ctx.env),
            stdio: ["pipe", "pipe", "pipe"],
        });
        running.add(child);
        let stdout = "";
        let stderr = "";
        // Settled at the kill, not when the pipes close: a plugin the engine
        // started may hold them open longer.
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(
                new PinnedError(
                    `pulumi ${args[0]} did not finish within ${seconds} s and was stopped while pinned tried to ${opts.what}; ` +
                        "something it reads (the state backend, or the cluster a preview refreshes from) is not answering.",
                    "check them (pinned env status, kubectl get --raw /readyz) and run the command again.",
                ),
            );
        }, seconds * 1000);
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            running.delete(child);
            reject(
                err.code === "ENOENT"
                    ? new PinnedError(
                          `the pulumi CLI ${binary} is gone, so pinned cannot ${opts.what}.`,
                          "run pinned env up (it builds one).",
                      )
                    : err,
            );
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            running.delete(child);
            resolve({ status: code ?? 1, stdout, stderr });
        });
        // An engine that fails before reading its input must not crash pinned with EPIPE.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/**
 * Runs still under way. A command that ends on a signal exits at once
 * (temporaryDirs.ts removes a preview's directory first); its runs are
 * killed with it rather than go on reading and writing where that
 * directory was.
 */
const running = new Set<ChildProcess>();
process.on("exit", () => running.forEach((child) => child.kill("SIGKILL")));

/** `$CACHE/bin/pulumi` (the context's cache folder) when `pinned env up` built it. */
export function projectPulumi(ctx: Pick<Context, "cacheDir">): string | undefined {
    const file = path.join(ctx.cacheDir, "bin", "pulumi");
    return fs.existsSync(file) ? file : undefined;
}

/** The pulumi binary pinned runs: the one `pinned env up` built, else the first on the context's PATH. */
export function pulumiBinary(ctx: Pick<Context, "env" | "cacheDir">): string {
    const found =
        projectPulumi(ctx) ??
        (ctx.env.PATH ?? "")
            .split(path.delimiter)
            .map((d) => path.join(d, "pulumi"))
            .find((f) => f !== "pulumi" && fs.existsSync(f));
    if (!found) {
        throw new PinnedError("no pulumi CLI on PATH.", "run pinned env up (it builds one).");
    }
    return found;
}
