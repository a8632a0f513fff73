import { Env } from "../../core/env";
import * as os from "os";
import { ANNOTATIONS } from "../../core/annotations";
import { ConfigError, PinnedError } from "../../core/errors";
import { wholeSecondsFromEnv } from "../../core/envSeconds";
import { Kubectl } from "./kubectl";
import { Steps } from "../steps";
import { HolderWait } from "../locks/holderWait";
import { holderToken, holding, holdersDir, noteTakeover, stopLeftovers } from "../locks/holding";
import { LeaseLost, losingLease } from "./leaseLoss";
import { Liveness, liveness } from "../locks/liveness";

/**
 * The deploy lock in the cluster itself: a coordination.k8s.io Lease next to
 * the Deployment, named pinned-<deployment>. The lock file (locks/lockFile.ts) keeps
 * releases on one machine apart; the Lease keeps apart everything that
 * deploys to one cluster, whatever machine it runs on and however it spells
 * the kubeconfig.
 *
 * Every step is one atomic API call: the Lease is taken by creating it
 * (AlreadyExists means somebody holds it), renewed by a replace carrying
 * its resourceVersion (Conflict means it was lost), and released, or taken
 * over when stale, by a delete with a resourceVersion precondition, so two
 * waiters that saw the same stale Lease cannot both remove it.
 *
 * The holder is its random token (locks/holding.ts), never a hostname and PID:
 * two machines can share both. Time is judged as client-go's leader
 * election judges it: by the observer's own clock, from when it first saw
 * the Lease as it is, never from the renewTime another machine's clock
 * wrote. The holder, in turn, stops its engine once it cannot be sure it
 * still holds the Lease (leaseLoss.ts), well before anyone may take it.
 */

/** Who holds a Lease, as its spec and annotations say. */
export interface LeaseView {
    readonly resourceVersion: string;
    readonly holderIdentity?: string;
    readonly durationSeconds: number;
    readonly renewTime?: string;
    /** For people: the holder's command, host and PID. */
    readonly command?: string;
    readonly host?: string;
    readonly pid?: number;
}

/** Seconds a Lease lasts without renewal, from PINNED_LEASE_SECONDS (5–300; 30 by default). */
export function leaseSeconds(env: Env): number {
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
 * the kernel says its holder is gone (its liveness file on this machine is
 * not locked, locks/liveness.ts); or this waiter has watched it not change for
 * its whole duration, by its own clock. A live holder that stops renewing
 * stops its own engine before then (leaseLoss.ts).
 */
export function judgeLease(
    lease: LeaseView,
    here: { now: number; unchangedSinceMs: number; liveness: (token: string) => Liveness },
): LeaseVerdict {
    if (!lease.holderIdentity || here.liveness(lease.holderIdentity) === "gone") {
        return "stale";
    }
    return here.now - here.unchangedSinceMs > lease.durationSeconds * 1000 ? "stale" : "held";
}

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
    };
}

export interface LeaseOptions {
    /** The runner the Lease is read and written with: the context's. */
    readonly kubectl: Kubectl;
    readonly kubeconfig?: string;
    readonly namespace: string;
    /** The Deployment the Lease guards. */
    readonly deployment: string;
    readonly command: string;
    /** How long the Lease lasts without renewal (leaseSeconds). */
    readonly durationSeconds: number;
    /** How long to wait for another holder; 0 refuses at once. */
    readonly waitMs: number;
    readonly pollMs?: number;
    readonly progress?: Steps;
    /** The lock files' folder (the cache's locks/), where holders prove they are alive. */
    readonly locksDir: string;
}

/**
 * Runs `fn` holding the cluster Lease of `opts.deployment`, renewing it a
 * quarter of its duration at a time. Another holder is waited for up to
 * `waitMs`, then refused with who holds it; a stale Lease is taken over.
 * A Lease that is lost while `fn` runs (taken over, or not renewed for
 * three quarters of its duration) stops the engine (leaseLoss.ts).
 */
export async function withClusterLease<T>(opts: LeaseOptions, fn: () => Promise<T>): Promise<T> {
    const holders = holdersDir(opts.locksDir);
    return holding(holders, () => leased(opts, holders, fn));
}

async function leased<T>(opts: LeaseOptions, holders: string, fn: () => Promise<T>): Promise<T> {
    const name = `pinned-${opts.deployment}`.slice(0, 253);
    const where = `lease ${opts.namespace}/${name}`;
    const duration = opts.durationSeconds;
    const identity = holderToken();
    const run = (args: string[], what: string, input?: string) => opts.kubectl(opts.kubeconfig, args, `${what} ${where}`, { input });
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
                    [ANNOTATIONS.leaseHost]: os.hostname(),
                    [ANNOTATIONS.leasePid]: String(process.pid),
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

    const wait = new HolderWait({ what: "the cluster lease", waitMs: opts.waitMs, pollMs: opts.pollMs ?? 1000, progress: opts.progress });
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
        const alive = (token: string) => liveness(holders, token);
        if (judgeLease(lease, { now: Date.now(), unchangedSinceMs: seen.since, liveness: alive }) === "stale") {
            const token = lease.holderIdentity;
            if (token && alive(token) === "gone") {
                // As for the lock file (locks/lockFile.ts): what a gone holder on this
                // machine started must be gone before its Lease changes hands.
                // Its lock file may have another name (another spelling of
                // the kubeconfig), so this is the only takeover that sees it.
                await stopLeftovers(token, describeLeaseHolder(lease), opts.progress).catch((err: unknown) => {
                    wait.fail();
                    throw err;
                });
            }
            const removed = await removeIfStill(lease.resourceVersion);
            if (removed.status === 0) {
                // Gone, or stopped by its own rule: a holder that cannot renew
                // stops its engine well within the duration (leaseLoss.ts).
                noteTakeover(lease.command);
                opts.progress?.line(`taking over a stale cluster lease: ${describeLeaseHolder(lease)} stopped renewing it`);
            }
            continue; // ours to create now, unless another waiter was quicker
        }
        await wait.round(
            {
                problem: `another release is in progress on ${opts.namespace}/${opts.deployment}: ${describeLeaseHolder(lease)} holds ${where}.`,
                fix:
                    "let it finish, then run this again (PINNED_LOCK_TIMEOUT=<seconds> waits longer). " +
                    `A holder that crashed stops renewing; its lease is taken over ${duration} s after a waiter first sees it unchanged.`,
            },
            `waiting for ${describeLeaseHolder(lease)} (cluster lease)`,
        );
    }
    wait.done();

    // Renewed a quarter of the duration at a time. A waiter takes the Lease
    // over once it has seen it unchanged for its duration, counted from
    // after our last renewal; so once no renewal has succeeded for three
    // quarters of it (counted from when that renewal was sent), this
    // holder can no longer be sure it holds the Lease and stops its engine.
    let lastRenewal = acquired;
    const lost = losingLease(where, duration);
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
        if (lost.signal.aborted) {
            return;
        }
        const sent = Date.now();
        const r = await run(["replace", "-f", "-", "-o", "json"], "renew", body(acquired, mine)).catch((err: unknown) => ({
            status: 1,
            stdout: "",
            stderr: err instanceof Error ? err.message : String(err),
        }));
        if (r.status === 0) {
            mine = view(JSON.parse(r.stdout) as LeaseObject).resourceVersion;
            lastRenewal = sent;
        } else if (/Conflict|NotFound/.test(r.stderr)) {
            const now = await run(["get", "lease", name, "-n", opts.namespace, "-o", "json"], "read").catch(() => undefined);
            const taker = now?.status === 0 ? describeLeaseHolder(view(JSON.parse(now.stdout) as LeaseObject)) : undefined;
            lost.lose(taker ? `${taker} took it over` : "it was removed");
        } else if (Date.now() - lastRenewal > (duration * 1000 * 3) / 4) {
            lost.lose(`it could not be renewed for ${Math.round((Date.now() - lastRenewal) / 1000)} s (${r.stderr.trim().split("\n")[0]})`);
        }
        // Any other failure (a slow API server) is retried at the next renewal.
    };
    const timer = setInterval(
        () => {
            // Checked here too: a renewal that hangs must not hide the loss.
            if (Date.now() - lastRenewal > (duration * 1000 * 3) / 4) {
                lost.lose(`it could not be renewed for ${Math.round((Date.now() - lastRenewal) / 1000)} s`);
            }
            renewing = renewing.then(renew);
        },
        (duration * 1000) / 4,
    );
    timer.unref();
    try {
        return await lost.around(fn);
    } finally {
        clearInterval(timer);
        await renewing;
        if (!lost.signal.aborted) {
            // A lease we cannot remove (the API server is gone) expires by itself.
            await removeIfStill(mine).catch(() => undefined);
        }
    }
}

export { LeaseLost };
