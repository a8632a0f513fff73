import { PinnedError } from "../core/errors";

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
    // Recognized by shape, not by class: importing the Automation API here
    // would load the Pulumi SDK into every command, the read-only ones too.
    const result = (err as { commandResult?: { stderr?: string } } | undefined)?.commandResult;
    if (
        (err instanceof Error && err.name === "CommandError") ||
        (err instanceof Error && result !== undefined && typeof result === "object")
    ) {
        const stderr = result?.stderr?.trim() ?? "";
        const lines = stderr.split("\n").filter((l) => l.trim() !== "");
        const said = lines.slice(-4).join(" ").slice(0, 800) || err.message.split("\n")[0];
        if (/passphrase|decrypt/i.test(stderr)) {
            const stack = /stack "?([\w.-]+)"?/.exec(stderr)?.[1];
            return new PinnedError(
                `wrong passphrase for ${stack ? `stack ${stack}` : "the stacks' secrets"}: ${said}`,
                "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stacks were made with.",
            );
        }
        return new PinnedError(`the engine failed: ${said}`, "see the engine's output above; pinned env status checks the environment.");
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
