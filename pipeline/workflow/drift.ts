import { cpuMillicores, memoryBytes } from "../../core/quantity";

/**
 * Drift: how the live Deployment differs from the one its release declared.
 *
 * The declared object is the Deployment's inputs in the release stack's
 * state (what the program registered at its last update). Only what it
 * declares is compared, so a field the API server fills in (imagePullPolicy,
 * terminationMessagePath, dnsPolicy, a probe's timeoutSeconds…) never counts.
 * Two kinds of undeclared change do count, because nothing fills them in:
 *
 * - an extra member of a list whose members have names (containers,
 *   initContainers, volumes, env, ports, volumeMounts…), and a label or
 *   annotation of the pod template that the release did not set;
 * - one of UNDEFAULTED's fields set on the pod spec or on a container the
 *   release declared, when the release did not set it (a hand-added
 *   `args`, an `initContainers` list where there was none).
 */

/** One difference, for people, with the JSON Patch operations that restore the declared value. */
export interface Difference {
    /** `containers[sidecar]`, `containers[app].image`, `replicas`. */
    readonly path: string;
    /** `added by hand, not in release R`. */
    readonly says: string;
    readonly restore: readonly PatchOperation[];
}

/** An RFC 6902 operation, as `kubectl patch --type=json` takes it. */
export type PatchOperation =
    | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: unknown }
    | { readonly op: "remove"; readonly path: string };

/** Fields the API server never fills in: set on the live object but not declared, someone added them. */
const UNDEFAULTED: Record<"podSpec" | "container", readonly string[]> = {
    podSpec: [
        "containers",
        "initContainers",
        "ephemeralContainers",
        "volumes",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "hostAliases",
        "nodeSelector",
        "nodeName",
        "affinity",
        "tolerations",
        "serviceAccountName",
        "runtimeClassName",
        "shareProcessNamespace",
    ],
    container: [
        "command",
        "args",
        "env",
        "envFrom",
        "volumeMounts",
        "volumeDevices",
        "lifecycle",
        "startupProbe",
        "livenessProbe",
        "readinessProbe",
        "workingDir",
        "ports",
    ],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Where a value sits: its name for people and its JSON Pointer for a patch. */
interface Place {
    readonly shown: string;
    readonly pointer: string;
    /** What the object at this place is, when its undeclared fields count (see UNDEFAULTED). */
    readonly kind?: keyof typeof UNDEFAULTED | "openMap";
}

/**
 * The differences between the live Deployment and the declared one (both as
 * JSON), one per changed field or list member; empty when the live object
 * holds everything the release declared and nothing it forbids.
 */
export function deploymentDrift(declared: unknown, live: unknown, release: string): Difference[] {
    const out: Difference[] = [];
    const d = asObject(declared);
    const l = asObject(live);
    if (!d || !l) {
        return out;
    }
    const ctx = { release, out };
    const meta = asObject(d.metadata) ?? {};
    const liveMeta = asObject(l.metadata) ?? {};
    // The Deployment's own labels and annotations: only those declared (controllers add theirs).
    for (const key of ["labels", "annotations"] as const) {
        compare(ctx, meta[key], liveMeta[key], { shown: key, pointer: `/metadata/${key}` });
    }
    const spec = asObject(d.spec) ?? {};
    const liveSpec = asObject(l.spec) ?? {};
    for (const [key, value] of Object.entries(spec)) {
        if (key === "template") {
            continue;
        }
        compare(ctx, value, liveSpec[key], { shown: key, pointer: `/spec/${escape(key)}` });
    }
    const template = asObject(spec.template) ?? {};
    const liveTemplate = asObject(liveSpec.template) ?? {};
    const templateMeta = asObject(template.metadata) ?? {};
    const liveTemplateMeta = asObject(liveTemplate.metadata) ?? {};
    // The pod template's labels and annotations are the release's own: an extra one changes the pods.
    for (const key of ["labels", "annotations"] as const) {
        compare(ctx, templateMeta[key] ?? {}, liveTemplateMeta[key], {
            shown: `template.${key}`,
            pointer: `/spec/template/metadata/${key}`,
            kind: "openMap",
        });
    }
    compare(ctx, template.spec ?? {}, liveTemplate.spec, { shown: "", pointer: "/spec/template/spec", kind: "podSpec" });
    return out;
}

interface Context {
    readonly release: string;
    readonly out: Difference[];
}

function compare(ctx: Context, declared: Json | undefined, live: Json | undefined, at: Place): void {
    if (declared === undefined) {
        return;
    }
    if (live === undefined || live === null) {
        ctx.out.push({
            path: at.shown,
            says: `removed by hand; release ${ctx.release} declares it`,
            restore: [{ op: "add", path: at.pointer, value: declared }],
        });
        return;
    }
    if (Array.isArray(declared) && Array.isArray(live) && isNamedList(declared) && (live.length === 0 || isNamedList(live))) {
        compareNamedList(ctx, declared as JsonObject[], live as JsonObject[], at);
        return;
    }
    const d = asObject(declared);
    const l = asObject(live);
    if (d && l) {
        compareObject(ctx, d, l, at);
        return;
    }
    if (!sameValue(declared, live, at.shown)) {
        ctx.out.push({
            path: at.shown,
            says: `${short(live)} by hand; release ${ctx.release} declares ${short(declared)}`,
            restore: [
                { op: "test", path: at.pointer, value: live },
                { op: "replace", path: at.pointer, value: declared },
            ],
        });
    }
}

function compareObject(ctx: Context, declared: JsonObject, live: JsonObject, at: Place): void {
    for (const [key, value] of Object.entries(declared)) {
        compare(ctx, value, live[key], child(at, key));
    }
    const extra = at.kind === "openMap" ? Object.keys(live) : at.kind ? UNDEFAULTED[at.kind].filter((k) => live[k] !== undefined) : [];
    for (const key of extra.filter((k) => declared[k] === undefined)) {
        const place = child(at, key);
        const shown = at.kind === "openMap" ? `${at.shown}[${key}]` : place.shown;
        ctx.out.push({
            path: shown,
            says: `added by hand, not in release ${ctx.release}`,
            restore: [{ op: "remove", path: place.pointer }],
        });
    }
}

/** Lists whose members carry a name are compared member by member, by name, in any order. */
function compareNamedList(ctx: Context, declared: JsonObject[], live: JsonObject[], at: Place): void {
    const listName = at.shown.replace(/^.*\./, "");
    const memberKind: Place["kind"] = /^(containers|initContainers)$/.test(listName) ? "container" : undefined;
    const liveIndex = new Map(live.map((m, i) => [m.name as string, i]));
    for (const member of declared) {
        const name = member.name as string;
        const i = liveIndex.get(name);
        const shown = `${at.shown}[${name}]`;
        if (i === undefined) {
            ctx.out.push({
                path: shown,
                says: `removed by hand; release ${ctx.release} declares it`,
                restore: [{ op: "add", path: `${at.pointer}/-`, value: member }],
            });
            continue;
        }
        compareObject(ctx, member, live[i], { shown, pointer: `${at.pointer}/${i}`, kind: memberKind });
    }
    const declaredNames = new Set(declared.map((m) => m.name as string));
    // Removed from the highest index down, each after a test of its name, so the indexes stay right.
    const extras = live.map((m, i) => ({ name: m.name as string, i })).filter((m) => !declaredNames.has(m.name));
    for (const { name, i } of extras.reverse()) {
        ctx.out.push({
            path: `${at.shown}[${name}]`,
            says: `added by hand, not in release ${ctx.release}`,
            restore: [
                { op: "test", path: `${at.pointer}/${i}/name`, value: name },
                { op: "remove", path: `${at.pointer}/${i}` },
            ],
        });
    }
}

function child(at: Place, key: string): Place {
    return { shown: at.shown ? `${at.shown}.${key}` : key, pointer: `${at.pointer}/${escape(key)}` };
}

function isNamedList(list: Json[]): boolean {
    return list.length > 0 && list.every((m) => typeof asObject(m)?.name === "string");
}

/** Equal as the API server would store them: numbers and their strings, and quantities ("0.5" CPU is "500m"). */
function sameValue(declared: Json, live: Json, shown: string): boolean {
    if (JSON.stringify(declared) === JSON.stringify(live)) {
        return true;
    }
    if (typeof declared === "object" || typeof live === "object") {
        return false;
    }
    if (String(declared) === String(live)) {
        return true;
    }
    if (/\.resources\.(limits|requests)\.cpu$/.test(shown)) {
        return cpuMillicores(String(declared)) === cpuMillicores(String(live));
    }
    if (/\.resources\.(limits|requests)\.memory$|sizeLimit$/.test(shown)) {
        return memoryBytes(String(declared)) === memoryBytes(String(live));
    }
    return false;
}

function asObject(value: unknown): JsonObject | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A value in a few words: a long one (an image digest) shortened in the middle. */
function short(value: Json): string {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 28)}…${text.slice(-28)}` : text;
}

/** A JSON Pointer token (RFC 6901). */
function escape(key: string): string {
    return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The JSON Patch that restores every difference, in order: `kubectl patch --type=json -p` takes it. */
export function restorePatch(differences: readonly Difference[]): PatchOperation[] {
    return differences.flatMap((d) => d.restore);
}
