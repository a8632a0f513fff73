import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HOLDER_ENV } from "../locks/holding";
import { writeFileWhole } from "../../core/wholeFile";
import { checkpointText } from "../engine/backendFiles";
import { Context } from "../context";
import { loadYaml, projectName, stackFilePath } from "../project/stackFile";
import { DeployTarget, targetEnv } from "../cluster/target";
import { dependenciesFingerprint, pluginsFingerprint } from "../engine/inputs";
import { openRecord, sealedRecord, UpdateRecord } from "./noopRecord";

/**
 * A `pinned up` of the release that is live, with nothing changed since
 * its stack's last update, would start the engine only for it to refresh
 * every resource and change none (3–4 s here). This proves the no-op
 * without the engine, and the update is skipped only when all of it holds:
 *
 * - the inputs the program reads hash as they did just before that update
 *   (inputsFingerprint: program sources, dependencies, Pulumi.yaml, the
 *   stack file, the engine's settings, the kubeconfig, the engine and its
 *   plugins: engine/inputs.ts);
 * - the record of that update is sealed under this machine's key
 *   (noopRecord.ts): a record edited alone proves nothing;
 * - the stack's checkpoint is byte for byte the one that update wrote (no
 *   `pulumi up`, refresh or import ran on the stack since);
 * - the checkpoint deploys the recorded digest, with no pending operation;
 * - every Kubernetes object in it is live with the uid and resourceVersion
 *   it recorded. The API server changes an object's resourceVersion on every
 *   write, its status included, so the cluster holds exactly what the
 *   engine last read: a refresh would find no drift to correct.
 *
 * Anything else, or anything that cannot be read, leaves it to the engine.
 */

/** The program's sources and dependencies, relative to the project; missing ones hash as missing. */
const PROGRAM_INPUTS = [
    "index.ts",
    "program",
    "components",
    "core",
    "bin",
    "Pulumi.yaml",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    // npm rewrites it on every install: the installed dependency tree.
    path.join("node_modules", ".package-lock.json"),
];

/** Environment variables that decide what the program registers; secrets are left out (their ciphertext is in the stack file). */
const ENV_INPUT = /^(PINNED_|PULUMI_|KUBECONFIG$|NODE_OPTIONS$)/;
const SECRET_ENV = /PASSWORD|PASSPHRASE|TOKEN|SECRET/;

/** JSON with every object's keys sorted: the same value hashes the same whatever the key order in the file. */
function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

function sha256(data: string | Buffer): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** Every file under `entry` (or the file itself), sorted, with its content hash. */
function hashTree(root: string, entry: string, into: crypto.Hash): void {
    const full = path.join(root, entry);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) {
        into.update(`${entry}\0missing\0`);
    } else if (stat.isDirectory()) {
        for (const name of fs.readdirSync(full).sort()) {
            hashTree(root, path.join(entry, name), into);
        }
    } else {
        into.update(`${entry}\0${sha256(fs.readFileSync(full))}\0`);
    }
}

/**
 * One hash of what the release's program reads, taken just before an
 * update and again before a no-op is claimed. The stack file counts
 * without its recorded digest: pinned records it after the first update,
 * and the proof checks it against the checkpoint's deployed digest instead.
 * `ctx.env` is the environment the engine inherits, under `engineEnv`.
 */
export function inputsFingerprint(
    ctx: Pick<Context, "projectDir" | "env">,
    release: string,
    target: DeployTarget,
    engineEnv: Record<string, string>,
): string {
    const { projectDir, env: ambient } = ctx;
    const hash = crypto.createHash("sha256").update(`pinned inputs v2\0${process.version}\0`);
    for (const entry of PROGRAM_INPUTS) {
        hashTree(projectDir, entry, hash);
    }
    hash.update(`${dependenciesFingerprint(projectDir)}\0`);
    const stackFile = stackFilePath(release, projectDir);
    const doc = fs.existsSync(stackFile) ? ((loadYaml(stackFile) ?? {}) as { config?: Record<string, unknown> }) : {};
    const config = { ...(doc.config ?? {}) };
    delete config["pinned:imageDigest"];
    hash.update(`stack\0${canonicalJson({ ...doc, config })}\0`);
    const env: Record<string, string | undefined> = { ...ambient, ...engineEnv, ...targetEnv(target) };
    for (const key of Object.keys(env).sort()) {
        // The holder's mark differs in every process and the program never reads it.
        if (ENV_INPUT.test(key) && !SECRET_ENV.test(key) && key !== HOLDER_ENV) {
            hash.update(`env\0${key}=${env[key]}\0`);
        }
    }
    // The kubeconfig's content, not only its path: a re-created cluster has new certificates.
    for (const file of (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "")) {
        hash.update(`kubeconfig\0${file}\0${fs.existsSync(file) ? sha256(fs.readFileSync(file)) : "missing"}\0`);
    }
    // The engine and its language host, as found on the engine's PATH: a rebuilt one may plan differently.
    for (const name of ["pulumi", "pulumi-language-nodejs"]) {
        const found = (env.PATH ?? "")
            .split(path.delimiter)
            .filter((d) => d !== "")
            .map((d) => ({ file: path.join(d, name), stat: fs.statSync(path.join(d, name), { throwIfNoEntry: false }) }))
            .find((f) => f.stat?.isFile());
        hash.update(`engine\0${name}\0${found ? `${found.file}:${found.stat?.size}:${found.stat?.mtimeMs}` : "missing"}\0`);
    }
    hash.update(`${pluginsFingerprint(env)}\0`);
    return hash.digest("hex");
}

function recordFile(release: string, projectDir: string): string {
    return path.join(projectDir, ".pinned", "updates", `${release}.json`);
}

/**
 * Records, after a successful update, what it ran with (`inputs`, taken
 * before it started) and the checkpoint it left. Best effort: without a
 * record the next no-op runs the engine, which is only slower.
 */
export function recordUpdate(ctx: Pick<Context, "projectDir" | "cacheDir">, release: string, inputs: string, backendUrl: string): void {
    const { projectDir } = ctx;
    const file = recordFile(release, projectDir);
    try {
        const checkpoint = checkpointText(backendUrl, projectName(projectDir), release);
        if (checkpoint === undefined) {
            fs.rmSync(file, { force: true });
            return;
        }
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const record: UpdateRecord = { inputs, checkpoint: sha256(checkpoint) };
        writeFileWhole(file, sealedRecord(release, projectDir, record, ctx.cacheDir), 0o600);
    } catch {
        // A stale record names a checkpoint that no longer is, so it proves nothing.
    }
}

/** A Kubernetes object as the checkpoint recorded it. */
interface RecordedObject {
    readonly ref: string;
    readonly namespace: string;
    readonly identity: string;
}

/**
 * Whether the engine would change nothing (see the comment at the top);
 * `digest` is the one the stack file records. A reason when it might.
 */
export async function unchangedSinceLastUpdate(
    ctx: Pick<Context, "projectDir" | "cacheDir" | "kubectl">,
    req: { release: string; digest: string; inputs: string; backendUrl: string; kubeconfig: string | undefined },
): Promise<{ unchanged: true } | { unchanged: false; why: string }> {
    const { projectDir } = ctx;
    const changed = (why: string) => ({ unchanged: false as const, why });
    const file = recordFile(req.release, projectDir);
    if (!fs.existsSync(file)) {
        return changed("no update of this stack was recorded here");
    }
    let written: string;
    try {
        written = fs.readFileSync(file, "utf8");
    } catch {
        return changed("the record of the last update is unreadable");
    }
    const record = openRecord(req.release, projectDir, written, ctx.cacheDir);
    if (typeof record === "string") {
        return changed(record);
    }
    if (record.inputs !== req.inputs) {
        return changed("the program's inputs changed");
    }
    const text = checkpointText(req.backendUrl, projectName(projectDir), req.release);
    if (text === undefined || sha256(text) !== record.checkpoint) {
        return changed("the stack's state changed since");
    }
    const objects = recordedObjects(text, req.digest);
    if (typeof objects === "string") {
        return changed(objects);
    }
    // A cluster that does not answer is the engine's to report, as before.
    const live = await liveAsRecorded(ctx, objects, req.kubeconfig).catch(() => false);
    return live ? { unchanged: true } : changed("the cluster changed since");
}

/** The Kubernetes objects a checkpoint holds, or why it proves nothing. */
function recordedObjects(text: string, digest: string): RecordedObject[] | string {
    type Resource = { type?: string; custom?: boolean; delete?: boolean; outputs?: Record<string, unknown> };
    const latest = (JSON.parse(text) as { checkpoint?: { latest?: { resources?: Resource[]; pending_operations?: unknown[] } } }).checkpoint
        ?.latest;
    if (!latest?.resources || (latest.pending_operations ?? []).length > 0) {
        return "the stack has pending operations";
    }
    const stack = latest.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    if (stack?.outputs?.imageDigest !== digest) {
        return "the stack's state deploys another digest";
    }
    const objects: RecordedObject[] = [];
    for (const r of latest.resources.filter((r) => r.custom && r.type?.startsWith("kubernetes:"))) {
        const o = r.outputs as { apiVersion?: string; kind?: string; metadata?: Record<string, unknown> } | undefined;
        const m = o?.metadata ?? {};
        if (r.delete || !o?.apiVersion || !o.kind || typeof m.name !== "string" || !m.uid || !m.resourceVersion) {
            return "the state holds an object it did not read from a cluster";
        }
        // TYPE.VERSION.GROUP/NAME, as kubectl takes it (the core group is empty).
        const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
        objects.push({
            ref: `${o.kind}.${version}.${group}/${m.name}`,
            namespace: typeof m.namespace === "string" ? m.namespace : "",
            identity: `${String(m.uid)} ${String(m.resourceVersion)}`,
        });
    }
    return objects.length > 0 ? objects : "the state holds no Kubernetes object";
}

/** One kubectl read per namespace: every object is there, with the uid and resourceVersion recorded. */
async function liveAsRecorded(ctx: Pick<Context, "kubectl">, objects: RecordedObject[], kubeconfig: string | undefined): Promise<boolean> {
    const namespaces = [...new Set(objects.map((o) => o.namespace))];
    const reads = await Promise.all(
        namespaces.map((ns) => {
            const mine = objects.filter((o) => o.namespace === ns);
            return ctx
                .kubectl(
                    kubeconfig,
                    [
                        "get",
                        ...(ns ? ["-n", ns] : []),
                        ...mine.map((o) => o.ref),
                        // Identity only: a Secret's data never leaves the API server.
                        "-o",
                        "custom-columns=UID:.metadata.uid,RV:.metadata.resourceVersion",
                        "--no-headers",
                    ],
                    "read the release's objects",
                )
                .then(
                    (r) =>
                        r.status === 0 &&
                        r.stdout
                            .trim()
                            .split("\n")
                            .map((line) => line.trim().split(/\s+/).join(" "))
                            .join("|") === mine.map((o) => o.identity).join("|"),
                );
        }),
    );
    return reads.every(Boolean);
}
