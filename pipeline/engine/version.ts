import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { writeFileWhole } from "../../core/wholeFile";

/**
 * The project's engine ($CACHE/bin/pulumi) as a PulumiCommand, without
 * running `pulumi version` each time (about 0.2 s of every command that
 * starts the engine): `PulumiCommand.get` runs it and checks the version
 * once per binary; the answer is kept in the cache's run directory, with
 * the binary's size and modification time, so a rebuilt engine is asked
 * again.
 */
export async function projectEngineCommand(file: string, cacheDir: string): Promise<PulumiCommand> {
    // One file per binary: caches that share their run directory (a second
    // checkout's, say) then do not overwrite each other's answer.
    const id = crypto.createHash("sha256").update(file).digest("hex").slice(0, 16);
    const known = path.join(cacheDir, "run", `pulumi-version-${id}.json`);
    const stat = fs.statSync(file);
    const key = { file, size: stat.size, mtimeMs: stat.mtimeMs };
    try {
        const kept = JSON.parse(fs.readFileSync(known, "utf8")) as typeof key & { version: string };
        if (kept.file === key.file && kept.size === key.size && kept.mtimeMs === key.mtimeMs) {
            return withVersion(file, kept.version);
        }
    } catch {
        // Not asked yet, or unreadable: ask the engine.
    }
    const command = await PulumiCommand.get({ root: cacheDir });
    try {
        fs.mkdirSync(path.dirname(known), { recursive: true });
        writeFileWhole(known, JSON.stringify({ ...key, version: String(command.version) }), 0o644);
    } catch {
        // A file that cannot be written only costs the next command the question.
    }
    return command;
}

/** The SDK's own constructor (what `PulumiCommand.get` returns), with the version as the SDK's semver parses it. */
function withVersion(file: string, version: string): PulumiCommand {
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    // The SDK's semver, not a dependency of this project: its SemVer is what the SDK compares.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const semver = require(require.resolve("semver", { paths: [sdkDir] })) as { parse(v: string): unknown };
    const Command = PulumiCommand as unknown as new (command: string, version: unknown) => PulumiCommand;
    return new Command(file, semver.parse(version));
}
