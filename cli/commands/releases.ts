import { PinnedError } from "../../core/errors";
import { credentialsFor } from "../../core/registry";
import { lastUpdatesFromBackendFiles } from "../../release/engine/backendFiles";
import { releaseRegistry } from "../../release/project/releaseRegistry";
import { signatureOf, signingTools } from "../../core/signature";
import { engineEnv } from "../../release/engine/environment";
import { LiveDeployment, readLive } from "../../release/cluster/live";
import { paint, reportError } from "../ui/output";
import { listReleaseRecords, projectName, ReleaseRecord } from "../../release/project/stackFile";
import { lastVerified } from "../../release/workflow/verify";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { cacheDir } from "../../core/localCache";
import { PROJECT_DIR } from "../../release/project/projectDir";

export const RELEASES_COMMAND: CommandSpec = {
    name: "releases",
    options: { json: { type: "boolean", help: "the same rows as JSON, full commit and digest" } },
    description: `Lists every release with a stack file: commit, digest, when its stack was
last deployed, when pinned verify last rebuilt it bit for bit here,
whether the release key signed its image, and which one is live.`,
};
export const RELEASES_USAGE = usageOf(RELEASES_COMMAND);

/** One row of the release history. */
export interface ReleaseRow {
    release: string;
    commit?: string;
    digest?: string;
    deployedAt?: string;
    /** When `pinned verify` last found this release's recorded digest rebuilt bit for bit (on this clone). */
    verifiedAt?: string;
    /** Whether the release key signed the recorded image ("yes", "no", or "-" when not checked). */
    signed?: string;
    live: boolean;
}

/** Joins the stack files, the engine's stack list and the live Deployment. */
export function releaseRows(
    records: ReleaseRecord[],
    lastUpdates: Map<string, string>,
    live?: Pick<LiveDeployment, "image" | "release">,
    verified: (release: string, digest: string | undefined) => string | undefined = () => undefined,
    signed: ReadonlyMap<string, string> = new Map(),
): ReleaseRow[] {
    return records.map((r) => ({
        release: r.release,
        commit: r.commit,
        digest: r.imageDigest,
        deployedAt: lastUpdates.get(r.release),
        verifiedAt: verified(r.release, r.imageDigest),
        signed: signed.get(r.release),
        live: live !== undefined && live.release === r.release && live.image === r.imageDigest,
    }));
}

/** A fixed-width table; short commit and digest, as people compare them. */
export function formatReleases(rows: ReleaseRow[]): string {
    const table = [["RELEASE", "COMMIT", "DIGEST", "DEPLOYED AT", "VERIFIED", "SIGNED", "LIVE"]];
    for (const r of rows) {
        table.push([
            r.release,
            r.commit?.slice(0, 12) ?? "-",
            r.digest ? r.digest.slice(r.digest.indexOf("@") + 1, r.digest.indexOf("@") + 20) : "(not built)",
            r.deployedAt ?? "-",
            r.verifiedAt ?? "-",
            r.signed ?? "-",
            r.live ? "*" : "",
        ]);
    }
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    return table
        .map((row) =>
            row
                .map((cell, i) => cell.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

/** When each stack was last updated, as `pulumi stack ls` reports it. */
async function lastUpdatesFromEngine(): Promise<Map<string, string>> {
    const { projectWorkspace } = await import("../../release/engine/workspace");
    const stacks = await (await projectWorkspace()).listStacks();
    return new Map(stacks.filter((s) => s.lastUpdate).map((s) => [s.name, new Date(s.lastUpdate as string).toISOString()]));
}

type ReleaseRegistry = NonNullable<Awaited<ReturnType<typeof releaseRegistry>>>;

/**
 * "yes" or "no" per release with a recorded image: is it signed by the
 * release key? None without a public key. A stack whose registry login is
 * refused (a password bound to another registry) is "refused" in its row,
 * with the refusal in `refusals`: one bad stack file does not hide the
 * history, and no credential goes to a registry it was not set for.
 */
export async function signatures(
    records: ReleaseRecord[],
    lookup: {
        registry: (release: string, record: ReleaseRecord) => ReturnType<typeof releaseRegistry>;
        signed: (digest: string, registry: ReleaseRegistry) => Promise<boolean>;
    },
): Promise<{ signed: Map<string, string>; refusals: PinnedError[] }> {
    const signed = new Map<string, string>();
    const refusals: PinnedError[] = [];
    for (const r of records.filter((r) => r.imageDigest)) {
        try {
            const registry = await lookup.registry(r.release, r);
            if (registry) {
                signed.set(r.release, (await lookup.signed(r.imageDigest as string, registry)) ? "yes" : "no");
            }
        } catch (err) {
            if (!(err instanceof PinnedError)) {
                throw err;
            }
            signed.set(r.release, "refused");
            refusals.push(err);
        }
    }
    return { signed, refusals };
}

/** The real lookups: the release's registry login, and cosign with the release's public key; undefined without one. */
function signatureLookup(): Parameters<typeof signatures>[1] | undefined {
    const signing = signingTools(process.env);
    return signing
        ? {
              registry: (release, record) => releaseRegistry({ env: process.env }, release, record),
              signed: async (digest, registry) => (await signatureOf(digest, credentialsFor(registry), signing, process.env)).signed,
          }
        : undefined;
}

export async function releasesCommand(args: string[]): Promise<number> {
    const line = parseCommandLine(RELEASES_COMMAND, args);
    const json = line?.values.json === true;
    if (!line) {
        process.stderr.write(`${RELEASES_USAGE}\n`);
        return 2;
    }
    try {
        // From the backend's files when it is a local one; else the engine is asked (and only then loaded).
        const lastUpdates =
            lastUpdatesFromBackendFiles(
                engineEnv({ projectDir: PROJECT_DIR, env: process.env, cacheDir: cacheDir(process.env) }).PULUMI_BACKEND_URL,
                projectName(PROJECT_DIR),
            ) ?? (await lastUpdatesFromEngine());
        const records = listReleaseRecords(PROJECT_DIR);
        const lookup = signatureLookup();
        const { signed, refusals } = lookup ? await signatures(records, lookup) : { signed: new Map<string, string>(), refusals: [] };
        const rows = releaseRows(
            records,
            lastUpdates,
            (await readLive({ renderWithoutCluster: true })).deployment,
            (release, digest) => lastVerified(release, digest, PROJECT_DIR),
            signed,
        );
        if (json) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        } else if (rows.length === 0) {
            process.stdout.write("no releases yet: tag a commit (git tag yyyy-mm-dd-NNN) and run pinned up.\n");
        } else {
            process.stdout.write(`${formatReleases(rows).replace(/\*$/gm, (m) => paint(process.stdout, "green", m))}\n`);
        }
        for (const refusal of refusals) {
            process.stderr.write(`${paint(process.stderr, "yellow", "refused:")} ${refusal.problem}\n  fix: ${refusal.fix}\n`);
        }
        return refusals.length > 0 ? 1 : 0;
    } catch (err) {
        return reportError(err, 1);
    }
}
