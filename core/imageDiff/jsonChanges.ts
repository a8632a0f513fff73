/** One field of a JSON document (an image config, a manifest) that differs between two images. */
export interface FieldChange {
    /** Where: `config.Labels.git_hash`, `history[2].created`, `rootfs.diff_ids[1]`. */
    readonly path: string;
    /** The value before, shortened for a terminal; absent when the field was not there. */
    readonly before?: string;
    /** The value after, shortened the same way. */
    readonly after?: string;
}

/** Longest value shown; the part around the first difference is kept. */
const MAX_SHOWN = 80;
/** How much of what both values share is kept before their first difference. */
const CONTEXT = 16;

/**
 * The leaves in which two JSON values differ, in document order: objects
 * are compared key by key, arrays index by index, anything else as a whole.
 * A field present on one side only is one change, however deep its value.
 */
export function jsonChanges(before: unknown, after: unknown): FieldChange[] {
    const changes: FieldChange[] = [];
    walk(before, after, "", changes);
    return changes;
}

function walk(b: unknown, a: unknown, path: string, out: FieldChange[]): void {
    if (isObject(b) && isObject(a)) {
        const keys = [...Object.keys(b), ...Object.keys(a).filter((k) => !Object.hasOwn(b, k))];
        for (const key of keys) {
            walk(Object.hasOwn(b, key) ? b[key] : undefined, Object.hasOwn(a, key) ? a[key] : undefined, member(path, key), out);
        }
        return;
    }
    if (Array.isArray(b) && Array.isArray(a)) {
        for (let i = 0; i < Math.max(b.length, a.length); i++) {
            walk(i < b.length ? b[i] : undefined, i < a.length ? a[i] : undefined, `${path}[${i}]`, out);
        }
        return;
    }
    if (JSON.stringify(b) !== JSON.stringify(a)) {
        out.push({ path: path || "(whole document)", ...shownPair(b, a) });
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `parent.key` when the key reads plainly (label names with dots included), else `parent["odd key"]`. */
function member(parent: string, key: string): string {
    if (!/^[\w.\-/:@]+$/.test(key)) {
        return `${parent}[${JSON.stringify(key)}]`;
    }
    return parent ? `${parent}.${key}` : key;
}

/**
 * Both values as text short enough for one line each: digests cut to
 * `sha256:<12 hex>…`, and long values cut around their first difference, so
 * that two long commands that differ near the end still show how.
 */
export function shownPair(b: unknown, a: unknown): { before?: string; after?: string } {
    // A string shows bare unless the other side is not one ("1" against 1 must not look equal).
    const quote = b !== undefined && a !== undefined && typeof b !== typeof a;
    let before = render(b, quote);
    let after = render(a, quote);
    const shortB = before?.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1…");
    const shortA = after?.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1…");
    if (shortB !== shortA) {
        [before, after] = [shortB, shortA];
    }
    const common = before !== undefined && after !== undefined ? commonPrefix(before, after) : 0;
    const start = common > MAX_SHOWN - CONTEXT ? common - CONTEXT : 0;
    return {
        ...(before !== undefined ? { before: clip(before, start) } : {}),
        ...(after !== undefined ? { after: clip(after, start) } : {}),
    };
}

function render(value: unknown, quote: boolean): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    return typeof value === "string" && !quote && value !== "" ? value : JSON.stringify(value);
}

function clip(text: string, start: number): string {
    const from = Math.min(start, Math.max(0, text.length - MAX_SHOWN));
    const end = from + MAX_SHOWN;
    return `${from > 0 ? "…" : ""}${text.slice(from, end)}${text.length > end ? "…" : ""}`;
}

function commonPrefix(x: string, y: string): number {
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) {
        i++;
    }
    return i;
}
