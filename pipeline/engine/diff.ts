/**
 * The engine's preview (`pulumi preview --json`) read as people review a
 * change: per resource, the operation and each changed property, old → new.
 */

/** What the engine will do to one resource. */
export type ChangeOp = "create" | "update" | "replace" | "delete";

export interface PropertyChange {
    /** The property path as the engine names it, e.g. `spec.replicas`. */
    readonly path: string;
    readonly kind: "add" | "update" | "delete";
    /** Display text of the old and new values (undefined when absent). */
    readonly before?: string;
    readonly after?: string;
}

export interface ResourceChange {
    readonly op: ChangeOp;
    readonly urn: string;
    /** The type's short name: Deployment, Service, RemoteImage, … */
    readonly kind: string;
    /** What people call it: `namespace/name` for Kubernetes objects, else the resource name. */
    readonly name: string;
    readonly properties: readonly PropertyChange[];
}

export interface EngineDiff {
    readonly changes: readonly ResourceChange[];
    /** The engine's error diagnostics: the preview failed when there are any. */
    readonly errors: readonly string[];
    readonly warnings: readonly string[];
}

/** A step of `pulumi preview --json`. */
interface PreviewStep {
    op: string;
    urn: string;
    oldState?: { type?: string; inputs?: Record<string, unknown> };
    newState?: { type?: string; inputs?: Record<string, unknown> };
    diffReasons?: string[];
    detailedDiff?: Record<string, { kind?: string; inputDiff?: boolean }>;
}

interface PreviewJson {
    steps?: PreviewStep[];
    diagnostics?: Array<{ message?: string; severity?: string }>;
}

const OPS: Record<string, ChangeOp | undefined> = {
    create: "create",
    update: "update",
    replace: "replace",
    "create-replacement": "replace",
    "delete-replaced": undefined, // the second half of a replace, already shown
    delete: "delete",
};

/** The engine's marker for a value only the update will know. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The engine's marker for a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Parses the engine's JSON preview; tolerates the text the CLI may print around it. */
export function parseEngineDiff(text: string): EngineDiff {
    const start = text.indexOf("{");
    const doc = (start >= 0 ? JSON.parse(text.slice(start, text.lastIndexOf("}") + 1)) : {}) as PreviewJson;
    const changes: ResourceChange[] = [];
    for (const step of doc.steps ?? []) {
        const op = OPS[step.op];
        const type = step.newState?.type ?? step.oldState?.type ?? "";
        if (!op || type === "pulumi:pulumi:Stack") {
            continue;
        }
        changes.push({
            op,
            urn: step.urn,
            kind: type.slice(type.lastIndexOf(":") + 1),
            name: displayName(step),
            properties: op === "update" || op === "replace" ? propertyChanges(step) : [],
        });
    }
    const diags = doc.diagnostics ?? [];
    const text_ = (severity: string) =>
        diags
            .filter((d) => d.severity === severity && d.message)
            .map((d) => d.message!.replace(/\u001b\[[0-9;]*m|<\{%[^%]*%\}>/g, "").trim());
    return { changes, errors: [...new Set(text_("error"))], warnings: [...new Set(text_("warning"))] };
}

function displayName(step: PreviewStep): string {
    const inputs = step.newState?.inputs ?? step.oldState?.inputs ?? {};
    const meta = inputs.metadata as { name?: unknown; namespace?: unknown } | undefined;
    if (typeof meta?.name === "string") {
        return typeof meta.namespace === "string" ? `${meta.namespace}/${meta.name}` : meta.name;
    }
    if (typeof inputs.name === "string") {
        return inputs.name;
    }
    return step.urn.slice(step.urn.lastIndexOf("::") + 2);
}

function propertyChanges(step: PreviewStep): PropertyChange[] {
    const olds = step.oldState?.inputs ?? {};
    const news = step.newState?.inputs ?? {};
    const paths = step.detailedDiff ? Object.keys(step.detailedDiff) : (step.diffReasons ?? []);
    return paths.sort().map((p) => {
        const kind = step.detailedDiff?.[p]?.kind ?? "update";
        return {
            path: p,
            kind: kind.startsWith("add") ? "add" : kind.startsWith("delete") ? "delete" : "update",
            before: show(valueAt(olds, p)),
            after: show(valueAt(news, p)),
        };
    });
}

/** Splits `a.b[0]["c.d"]` into `a`, `b`, 0, `c.d`. */
export function parsePropertyPath(path: string): Array<string | number> {
    const parts: Array<string | number> = [];
    const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
    for (const m of path.matchAll(re)) {
        parts.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(`"${m[3]}"`)));
    }
    return parts;
}

export function valueAt(root: unknown, path: string): unknown {
    let v: unknown = root;
    for (const part of parsePropertyPath(path)) {
        if (v === null || typeof v !== "object") {
            return undefined;
        }
        v = (v as Record<string | number, unknown>)[part];
    }
    return v;
}

/** A value as one short line. */
export function show(value: unknown): string | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (value === UNKNOWN) {
        return "(known after the update)";
    }
    if (typeof value === "object" && SECRET_SIG in (value as object)) {
        return "[secret]";
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}
