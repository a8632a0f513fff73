import { PinnedError } from "../../core/errors";

/**
 * Turns a failure that is not a bug in pinned into a PinnedError with a
 * fix: the engine refusing (a wrong passphrase above all), or the machine
 * (a full disk, a file pinned may not write). Undefined for anything else,
 * which is a bug and keeps its stack trace.
 */
export function explainFailure(err: unknown): PinnedError | undefined {
    if (err instanceof PinnedError) {
        return err;
    }
    const stderr = engineStderr(err);
    if (stderr !== undefined) {
        const said = lastLines(stderr, 4).replace(/\n/g, " ").slice(0, 800) || (err as Error).message.split("\n")[0];
        const stack = /stack "?([\w.-]+)"?/.exec(stderr)?.[1];
        return (
            wrongPassphrase(err, stack, said) ??
            new PinnedError(`the engine failed: ${said}`, "see the engine's output above; pinned env status checks the environment.")
        );
    }
    const errno = err as NodeJS.ErrnoException;
    if (errno instanceof Error && typeof errno.code === "string") {
        const where = errno.path ? ` (${errno.path})` : "";
        if (errno.code === "ENOSPC") {
            return new PinnedError(`no space left on the device${where}.`, "free some space and run the command again.");
        }
        if (errno.code === "EACCES" || errno.code === "EPERM" || errno.code === "EROFS") {
            return new PinnedError(
                `pinned may not write there${where}: ${errno.message}.`,
                "fix the file's permissions, or run from a checkout you own.",
            );
        }
    }
    return undefined;
}

/**
 * The standard error of a failed engine command (the Automation API's
 * CommandError), or undefined for any other error. Recognized by shape, not
 * by class: importing the Automation API here would load the Pulumi SDK
 * into every command, the read-only ones too.
 */
export function engineStderr(err: unknown): string | undefined {
    const result = (err as { commandResult?: { stderr?: string } } | undefined)?.commandResult;
    return err instanceof Error && typeof result === "object" && result !== null ? (result.stderr?.trim() ?? "") : undefined;
}

/** The last `n` lines of `text` that are not blank. */
export function lastLines(text: string, n: number): string {
    return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .slice(-n)
        .join("\n");
}

/**
 * The engine could not decrypt a stack's secrets: the passphrase is wrong.
 * `stack` names it when known; `said` is what the engine said, if worth showing.
 */
export function wrongPassphrase(err: unknown, stack?: string, said?: string): PinnedError | undefined {
    if (!/passphrase|decrypt/i.test(engineStderr(err) ?? "")) {
        return undefined;
    }
    return new PinnedError(
        `wrong passphrase for ${stack ? `stack ${stack}` : "the stacks' secrets"}: ${said ?? "its secrets (the registry password) do not decrypt."}`,
        "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stacks were made with.",
    );
}

/** What an engine run did before it failed, as EngineProgress.outcome() reports it. */
export interface EngineOutcome {
    readonly finished: readonly string[];
    readonly failed: readonly string[];
    readonly unfinished: readonly string[];
}

/** One sentence on what an engine run applied before it failed. */
export function describeOutcome(o: EngineOutcome): string {
    const parts = [
        o.finished.length > 0 ? `done: ${o.finished.join(", ")}` : "",
        o.failed.length > 0 ? `failed: ${o.failed.join(", ")}` : "",
        o.unfinished.length > 0 ? `started, outcome unknown: ${o.unfinished.join(", ")}` : "",
    ].filter(Boolean);
    return parts.length > 0
        ? `What the engine did before it stopped: ${parts.join("; ")}.`
        : "The engine changed nothing before it stopped.";
}
