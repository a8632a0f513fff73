import * as crypto from "crypto";
import * as os from "os";
import { ANNOTATIONS } from "../core/annotations";
import { ConfigError, PinnedError } from "../core/errors";
import { wholeSecondsFromEnv } from "../core/envSeconds";
import { kubectl } from "./kubectl";
import { Steps } from "./steps";
import { TurnWait } from "./turnWait";
import { holderMark, marking, stopLeftovers } from "./holding";
import { isAlive } from "./processes";

/**
 * The deploy lock in the cluster itself: a coordination.k8s.io Lease next to
 * the Deployment, named pinned-<deployment>. The lock file (lock.ts) keeps
 * releases on one machine apart; the Lease keeps apart everything that
 * deploys to one cluster, whatever machine it runs on and however it spells
 * the kubeconfig.
 *
 * Every step is one atomic API call: the Lease is taken by creating it
 * (AlreadyExists means somebody holds it), renewed by a replace carrying
 * its resourceVersion (Conflict means it was lost), and released, or taken
 * over when stale, by a delete with a resourceVersion precondition, so two
 * waiters that saw the same stale Lease cannot both remove it.
 */

/** Who holds a Lease, as its spec and annotations say. */
export interface LeaseView {
    readonly resourceVersion: string;
    readonly holderIdentity?: string;
    readonly durationSeconds: number;
    readonly renewTime?: string;
    readonly command?: string;
    readonly host?: string;
    readonly pid?: number;
    /** What the processes the holder started carry (holding.ts). */
    readonly mark?: string;
}

/** Seconds a Lease lasts without renewal, from PINNED_LEASE_SECONDS (5–300; 30 by default). */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
    return wholeSecondsFromEnv(
        env,
        "PINNED_LEASE_SECONDS",
        { min: 5, max: 300, fallback: 30 },
        "unset it (30 s), or set how long a crashed holder keeps the cluster lease, e.g. PINNED_LEASE_SECONDS=60.",
    );
}

/** How a waiter judges a Lease it found. */
export type LeaseVerdict = "held" | "stale";

/**
 * A Lease is stale when its holder can no longer renew it: nobody holds it;
 * its holder ran on this host and its process is gone; its renewTime is
 * older than its duration (plus a margin for clocks that disagree); or this
 * waiter has watched it not change for its whole duration (which needs no
 * clock but our own).
 */
export function judgeLease(
    lease: LeaseView,
    here: { host: string; now: number; unchangedSinceMs: number; isAlive: (pid: number) => boolean },
): LeaseVerdict {
    if (!lease.holderIdentity) {
        return "stale";
    }
    if (lease.host === here.host && lease.pid !== undefined && !here.isAlive(lease.pid)) {
        return "stale";
    }
    const durationMs = lease.durationSeconds * 1000;
    const renewed = lease.renewTime ? Date.parse(lease.renewTime) : NaN;
    if (!Number.isNaN(renewed) && here.now - renewed > durationMs + CLOCK_MARGIN_MS) {
        return "stale";
    }
    return here.now - here.unchangedSinceMs > durationMs ? "stale" : "held";
}

/** How far two machines' clocks may disagree before a renewTime is misjudged. */
const CLOCK_MARGIN_MS = 10_000;

export function describeLeaseHolder(lease: LeaseView): string {
    return `"${lease.command ?? "unknown command"}" (pid ${lease.pid ?? "?"} on ${lease.host ?? "unknown host"}, renewed ${lease.renewTime ?? "never"})`;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

interface LeaseObject {
    metadata: { resourceVersion?: string; annotations?: Record<string, string> };
    spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

function view(obj: LeaseObject): LeaseView {
    const a = obj.metadata.annotations ?? {};
    const pid = Number(a[ANNOTATIONS.leasePid]);
    return {
        resourceVersion: obj.metadata.resourceVersion ?? "",
        holderIdentity: obj.spec.holderIdentity,
        durationSeconds: obj.spec.leaseDurationSeconds ?? 0,
        renewTime: obj.spec.renewTime,
        command: a[ANNOTATIONS.leaseCommand],
        host: a[ANNOTATIONS.leaseHost],
        pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
        mark: a[ANNOTATIONS.leaseMark],
    };
}

export interface LeaseOptions {
    readonly kubeconfig?: string;
    readonly namespace: string;
    /** The Deployment the Lease guards. */
    readonly deployment: string;
    readonly command: string;
    /** How long the Lease lasts without renewal (leaseSeconds()). */
    readonly durationSeconds: number;
    /** How long to wait for another holder; 0 refuses at once. */
    readonly waitMs: number;
    readonly pollMs?: number;
    readonly progress?: Steps;
}

/**
 * Runs `fn` holding the cluster Lease of `opts.deployment`, renewing it a
 * third of its duration at a time. Another holder is waited for up to
 * `waitMs`, then refused with who holds it; a stale Lease is taken over.
 */
export async function withClusterLease<T>(opts: LeaseOptions, fn: () => Promise<T>): Promise<T> {
    const name = `pinned-${opts.deployment}`.slice(0, 253);
    const where = `lease ${opts.namespace}/${name}`;
    const duration = opts.durationSeconds;
    const host = os.hostname();
    const identity = `${host}/${process.pid}/${crypto.randomBytes(6).toString("hex")}`;
    const run = (args: string[], what: string, input?: string) => kubectl(opts.kubeconfig, args, `${what} ${where}`, input);
    const body = (acquired: number, resourceVersion?: string) =>
        JSON.stringify({
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: {
                name,
                namespace: opts.namespace,
                ...(resourceVersion ? { resourceVersion } : {}),
                labels: { "app.kubernetes.io/managed-by": "pinned" },
                annotations: {
                    [ANNOTATIONS.leaseCommand]: opts.command,
                    [ANNOTATIONS.leaseHost]: host,
                    [ANNOTATIONS.leasePid]: String(process.pid),
                    [ANNOTATIONS.leaseMark]: holderMark(),
                },
            },
            spec: {
                holderIdentity: identity,
                leaseDurationSeconds: duration,
                acquireTime: microTime(acquired),
                renewTime: microTime(Date.now()),
            },
        });
    const removeIfStill = (resourceVersion: string) =>
        run(
            ["delete", "--raw", `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases/${name}`, "-f", "-"],
            "release",
            JSON.stringify({ kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion } }),
        );

    const wait = new TurnWait({ what: "the cluster lease", waitMs: opts.waitMs, pollMs: opts.pollMs ?? 1000, progress: opts.progress });
    let seen: { resourceVersion: string; since: number } | undefined;
    let mine: string; // our Lease's resourceVersion
    let acquired: number; // its acquireTime, which renewals keep
    for (;;) {
        const now = Date.now();
        const created = await run(["create", "-f", "-", "-o", "json"], "take", body(now));
        if (created.status === 0) {
            mine = view(JSON.parse(created.stdout) as LeaseObject).resourceVersion;
            acquired = now;
            break;
        }
        if (/NotFound/.test(created.stderr) && /namespaces?\b/.test(created.stderr)) {
            wait.fail();
            throw new ConfigError(
                `namespace ${opts.namespace} does not exist in the cluster, so the release's lease (and its Deployment) cannot be made there.`,
                `create it (kubectl create namespace ${opts.namespace}), or set pinned:namespace to one that exists.`,
            );
        }
        if (!/AlreadyExists/.test(created.stderr)) {
            wait.fail();
            throw new PinnedError(
                `could not take ${where}: ${created.stderr.trim()}`,
                "pinned needs to create, replace and delete Leases (coordination.k8s.io) in the Deployment's namespace; " +
                    "check the kubeconfig's permissions (kubectl auth can-i create leases -n " +
                    `${opts.namespace}).`,
            );
        }
        const got = await run(["get", "lease", name, "-n", opts.namespace, "-o", "json"], "read");
        if (got.status !== 0) {
            continue; // released between our create and get: try again
        }
        const lease = view(JSON.parse(got.stdout) as LeaseObject);
        if (seen?.resourceVersion !== lease.resourceVersion) {
            seen = { resourceVersion: lease.resourceVersion, since: Date.now() };
        }
        const verdict = judgeLease(lease, { host, now: Date.now(), unchangedSinceMs: seen.since, isAlive });
        if (verdict === "stale") {
            if (lease.host === host && lease.pid !== undefined && !isAlive(lease.pid)) {
                // As for the lock file (lock.ts): what a dead holder on this
                // host started must be gone before its Lease changes hands.
                // Its lock file may have another name (another spelling of
                // the kubeconfig), so this is the only takeover that sees it.
                await stopLeftovers(lease.mark, describeLeaseHolder(lease), opts.progress).catch((err: unknown) => {
                    wait.fail();
                    throw err;
                });
            }
            const removed = await removeIfStill(lease.resourceVersion);
            if (removed.status === 0) {
                opts.progress?.line(`taking over a stale cluster lease: ${describeLeaseHolder(lease)} stopped renewing it`);
            }
            continue; // ours to create now, unless another waiter was quicker
        }
        await wait.round(
            {
                problem: `another release is in progress on ${opts.namespace}/${opts.deployment}: ${describeLeaseHolder(lease)} holds ${where}.`,
                fix:
                    "let it finish, then run this again (PINNED_LOCK_TIMEOUT=<seconds> waits longer). " +
                    `A holder that crashed stops renewing; its lease is taken over ${duration} s later.`,
            },
            `waiting for ${describeLeaseHolder(lease)} (cluster lease)`,
        );
    }
    wait.done();

    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
        const r = await run(["replace", "-f", "-", "-o", "json"], "renew", body(acquired, mine)).catch((err: unknown) => ({
            status: 1,
            stdout: "",
            stderr: err instanceof Error ? err.message : String(err),
        }));
        if (r.status === 0) {
            mine = view(JSON.parse(r.stdout) as LeaseObject).resourceVersion;
        } else if (/Conflict|NotFound/.test(r.stderr) && !lost) {
            lost = true;
            opts.progress?.line(`warning: ${where} was taken over while this release ran; another release may now deploy too`);
        }
        // Any other failure (a slow API server) is retried at the next renewal.
    };
    const timer = setInterval(
        () => {
            renewing = renewing.then(renew);
        },
        (duration * 1000) / 3,
    );
    timer.unref();
    try {
        return await marking(fn);
    } finally {
        clearInterval(timer);
        await renewing;
        if (!lost) {
            // A lease we cannot remove (the API server is gone) expires by itself.
            await removeIfStill(mine).catch(() => undefined);
        }
    }
}
