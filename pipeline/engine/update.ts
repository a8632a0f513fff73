import * as fs from "fs";
import * as path from "path";
import { CommandError, Stack } from "@pulumi/pulumi/automation";
import { PinnedError } from "../../core/errors";
import { DeadlineError, withDeadline } from "./deadline";
import { withoutResultReadback } from "./workspace";
import { EngineProgress } from "./progress";
import { engineKilledBy, locksInRefusal, madeByGoneEngine, removeKilledEngineLocks } from "./backendLocks";
import { describeOutcome, engineStderr, lastLines } from "./failure";
import { Context } from "../context";
import { Steps } from "../steps";

/** The update of a release's stack failed; the stack and its file are as the failure left them. */
export class UpdateFailedError extends PinnedError {
    constructor(
        problem: string,
        fix: string,
        /** The stack, and whether this run created it (and the stack file as it was before). */
        readonly failedStack: Stack,
        readonly created: { readonly fileBefore: string | undefined } | undefined,
    ) {
        super(problem, fix);
    }

    /** The same failure, saying what is live after it. */
    withLive(live: string): UpdateFailedError {
        return new UpdateFailedError(`${this.problem}\n  ${live}`, this.fix, this.failedStack, this.created);
    }
}

/**
 * One `pulumi up`, shown as progress steps; the engine's full text goes to
 * the project's .pinned/logs/<release>.log for when the steps are not enough.
 */
export async function runUpdate(
    ctx: Pick<Context, "projectDir">,
    stack: Stack,
    progress: Steps,
    created: UpdateFailedError["created"],
    timeoutSeconds: number,
    retried = false,
): Promise<Record<string, unknown>> {
    const logFile = path.join(ctx.projectDir, ".pinned", "logs", `${stack.name}.log`);
    // Engine logs can name internal hosts and paths: readable by the owner only.
    fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
    const log = fs.openSync(logFile, "w", 0o600);
    const events = new EngineProgress(progress);
    const failed = (why: string) =>
        new UpdateFailedError(
            `the update of stack ${stack.name} failed` +
                (why ? `; ${why.replace(/\n(?! )/g, "\n  ")}\n  ` : " (the lines above say why); ") +
                `${describeOutcome(events.outcome())} ` +
                `The engine's full output is in ${path.relative(process.cwd(), logFile)}; no digest was recorded.`,
            "fix the cause and run the command again (pinned status shows what runs now).",
            stack,
            created,
        );
    let retry = false;
    const started = Date.now();
    try {
        // The engine refreshes first (Pulumi.yaml: options.refresh), so a
        // stack whose state predates another release sees the cluster as it
        // is (rendering has no cluster: see workspace.ts). An API server that
        // stops answering must not hold the locks forever: the deadline.
        return await withDeadline(
            {
                seconds: timeoutSeconds,
                what: `the update of stack ${stack.name}`,
                setting: "pinned:progressDeadlineSeconds (the update gets it plus 300 s)",
            },
            (signal) => withoutResultReadback(stack).up({ onOutput: (out) => fs.writeSync(log, out), onEvent: events.onEvent, signal }),
        ).then(() => events.stackOutputs);
    } catch (err) {
        if (err instanceof CommandError) {
            const stderr = engineStderr(err) ?? "";
            fs.writeSync(log, `\n--- the engine's error output ---\n${stderr}\n`);
            const killedBy = engineKilledBy(err);
            if (killedBy) {
                // Its pending operations stay for the next update of the stack to clear (workflow/pendingOperations.ts).
                progress.line(`the engine was killed (${killedBy}) during the update of stack ${stack.name}`);
                removeKilledEngineLocks(stack.workspace.envVars.PULUMI_BACKEND_URL ?? "", stack.name, started, progress);
            }
            const locks = locksInRefusal(stderr);
            if (locks && locks.length > 0) {
                const named = locks.map((l) => `${l.by} (pid ${l.pid}) at ${l.at}`).join(", ");
                if (!retried && locks.every((l) => madeByGoneEngine(Date.parse(l.at)))) {
                    // Known gone (backendLocks.ts): the one case where pulumi cancel is safe.
                    await stack.cancel();
                    retry = true;
                    progress.line(
                        `removed the engine's lock on stack ${stack.name} (pulumi cancel), left by ${named}: ` +
                            "an engine of the holder this release took over from",
                    );
                } else {
                    throw new UpdateFailedError(
                        `stack ${stack.name} is locked by the engine of ${named}, and pinned cannot tell that engine is gone ` +
                            "(this release took over from no holder that left it), so the lock stays. Nothing was changed.",
                        `if no update of ${stack.name} runs anywhere (ask whoever is named; pinned status shows what is live), ` +
                            `remove the lock with pulumi cancel --stack ${stack.name} --yes, then run this again.`,
                        stack,
                        created,
                    );
                }
            }
            if (!retry) {
                const said = lastLines(stderr, 6);
                throw failed(said ? `the engine says:\n${said.replace(/^/gm, "    ")}` : "");
            }
        } else if (err instanceof DeadlineError) {
            throw failed(err.problem);
        } else {
            throw err;
        }
    } finally {
        events.close();
        fs.closeSync(log);
    }
    // The engine refused at once (nothing ran) and its lock is gone now: once more.
    return runUpdate(ctx, stack, progress, created, timeoutSeconds, true);
}
