import { PinnedError } from "../../core/errors";
import { credentialsFor } from "../../core/registry";
import { signatureOf, signingTools } from "../../core/signature";
import { LiveDeployment, readLive } from "../cluster/live";
import { Context } from "../context";
import { lastUpdatesFromBackendFiles } from "../engine/backendFiles";
import { engineEnv } from "../engine/environment";
import { registryReader, releaseRegistry } from "../project/releaseRegistry";
import { listReleaseRecords, projectName, ReleaseRecord } from "../project/stackFile";
import { lastVerified } from "./verify";

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

/** When each stack was last updated, as `pulumi stack ls` reports it. */
async function lastUpdatesFromEngine(ctx: Context): Promise<Map<string, string>> {
    const { projectWorkspace } = await import("../engine/workspace");
    const stacks = await (await projectWorkspace(ctx)).listStacks();
    return new Map(stacks.filter((s) => s.lastUpdate).map((s) => [s.name, new Date(s.lastUpdate as string).toISOString()]));
}

/** Signature lookups run at once: enough to overlap the registry's answers, few enough for 2 cores when cosign runs. */
const LOOKUPS_AT_ONCE = 4;

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
    const one = async (r: ReleaseRecord): Promise<string | PinnedError | undefined> => {
        try {
            const registry = await lookup.registry(r.release, r);
            return registry ? ((await lookup.signed(r.imageDigest as string, registry)) ? "yes" : "no") : undefined;
        } catch (err) {
            if (!(err instanceof PinnedError)) {
                throw err;
            }
            return err;
        }
    };
    // A few at a time: each is mostly waiting on the registry (or cosign),
    // and the answers are reported in the stack files' order.
    const withDigest = records.filter((r) => r.imageDigest);
    const answers: Array<string | PinnedError | undefined> = new Array(withDigest.length);
    let next = 0;
    const worker = async () => {
        while (next < withDigest.length) {
            const i = next++;
            answers[i] = await one(withDigest[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, withDigest.length) }, worker));
    withDigest.forEach((r, i) => {
        const answer = answers[i];
        if (answer instanceof PinnedError) {
            signed.set(r.release, "refused");
            refusals.push(answer);
        } else if (answer !== undefined) {
            signed.set(r.release, answer);
        }
    });
    return { signed, refusals };
}

/** The real lookups: the release's registry login, and cosign with the release's public key; undefined without one. */
function signatureLookup(ctx: Context): Parameters<typeof signatures>[1] | undefined {
    const signing = signingTools(ctx.env);
    return signing
        ? {
              registry: (release, record) => registryReader(ctx, release, record),
              signed: async (digest, registry) => (await signatureOf(digest, credentialsFor(registry), signing, ctx.env)).signed,
          }
        : undefined;
}

/**
 * The release history: every release with a stack file, when its stack
 * was last updated, when verify last rebuilt it, whether the release key
 * signed it, and which one is live. A stack whose registry login is
 * refused is in `refusals`; the others are still listed.
 */
export async function listReleases(ctx: Context): Promise<{ rows: ReleaseRow[]; refusals: PinnedError[] }> {
    // From the backend's files when it is a local one; else the engine is asked (and only then loaded).
    const lastUpdates =
        lastUpdatesFromBackendFiles(engineEnv(ctx).PULUMI_BACKEND_URL, projectName(ctx.projectDir)) ?? (await lastUpdatesFromEngine(ctx));
    const records = listReleaseRecords(ctx.projectDir);
    const lookup = signatureLookup(ctx);
    const { signed, refusals } = lookup ? await signatures(records, lookup) : { signed: new Map<string, string>(), refusals: [] };
    const verified = (release: string, digest: string | undefined) => lastVerified(release, digest, ctx.projectDir);
    const rows = releaseRows(records, lastUpdates, (await readLive(ctx, { renderWithoutCluster: true })).deployment, verified, signed);
    return { rows, refusals };
}
