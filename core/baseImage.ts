import { DockerfileParser } from "dockerfile-ast";

/**
 * A recipe's base images, as its FROM lines pin them, and the rewrite that
 * re-pins them (`pinned base update`). Pure: no registry, no files.
 */

/** One FROM line's image: where it is written and what it pins. */
export interface RecipeBase {
    /** 1-based line of the FROM instruction. */
    readonly line: number;
    /** The image as written: `host/path:tag@sha256:…`. */
    readonly written: string;
    /** `host[:port]/path`. */
    readonly repository: string;
    readonly tag?: string;
    /** `sha256:<64 hex>`, when the line pins one. */
    readonly digest?: string;
    /** What the comment line right above says of the base (`# base: …`), written by `pinned base update`. */
    readonly note?: string;
}

/**
 * The labels a base built by `pinned env up` carries (scripts/env/base-image.sh):
 * the archive state it was made from, read off its content, never the clock.
 */
export const BASE_STATE_LABELS = {
    debianVersion: "pinned.base.debian-version",
    packages: "pinned.base.packages",
} as const;

/** The archive state a base was made from, as far as it is known. */
export interface BaseState {
    /** Debian's point release (`/etc/debian_version`), e.g. `12.12`. */
    readonly debianVersion?: string;
    /** The package list's digest and size: `sha256:… (110 packages)`. */
    readonly packages?: string;
    /** The day this machine's mirror built it, when it did. */
    readonly builtOn?: string;
    /** `name\tversion` per package, when this machine's mirror built it. */
    readonly packageList?: ReadonlyMap<string, string>;
}

/** A base's state from its image labels; undefined when the base carries none. */
export function baseStateOf(labels: Record<string, string>): BaseState | undefined {
    const debianVersion = labels[BASE_STATE_LABELS.debianVersion];
    const packages = labels[BASE_STATE_LABELS.packages];
    return debianVersion || packages ? { debianVersion, packages } : undefined;
}

/** One line saying what a state is: "Debian 12.15, packages sha256:0123456789ab… (110 packages)". */
export function describeState(state: BaseState | undefined): string | undefined {
    if (!state || (!state.debianVersion && !state.packages)) {
        return undefined;
    }
    const parts: string[] = [];
    if (state.debianVersion) {
        parts.push(`Debian ${state.debianVersion}`);
    }
    if (state.packages) {
        parts.push(`packages ${state.packages.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+/, "$1…")}`);
    }
    return parts.join(", ");
}

/** The packages two states disagree on, as `name old → new`, when both lists are known. */
export function packageChanges(from: BaseState | undefined, to: BaseState | undefined): string[] | undefined {
    if (!from?.packageList || !to?.packageList) {
        return undefined;
    }
    const names = [...new Set([...from.packageList.keys(), ...to.packageList.keys()])].sort();
    return names.flatMap((name) => {
        const a = from.packageList?.get(name);
        const b = to.packageList?.get(name);
        return a === b ? [] : [`${name} ${a ?? "(none)"} → ${b ?? "(none)"}`];
    });
}

const NOTE = /^\s*#\s*base:\s*(.*?)\s*$/;

/**
 * The images a recipe builds on, with their lines (build stages and
 * `scratch` left out; an image written through a build arg is left out too,
 * since it cannot be looked up as written).
 */
export function recipeBases(text: string): RecipeBase[] {
    const lines = text.split("\n");
    const stages: string[] = [];
    const bases: RecipeBase[] = [];
    for (const from of DockerfileParser.parse(text).getFROMs()) {
        const written = from.getImage();
        const stage = from.getBuildStage();
        if (written && !written.includes("$") && written.toLowerCase() !== "scratch" && !stages.includes(written.toLowerCase())) {
            const line = from.getRange().start.line + 1;
            const note = NOTE.exec(lines[line - 2] ?? "")?.[1];
            bases.push({ line, written, ...splitReference(written), ...(note ? { note } : {}) });
        }
        if (stage) {
            stages.push(stage.toLowerCase());
        }
    }
    return bases;
}

/** `host/path:tag@sha256:…` into its parts; tag and digest are each optional. */
export function splitReference(written: string): { repository: string; tag?: string; digest?: string } {
    const [nameAndTag, digest] = written.split("@");
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const repository = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
    const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
    return { repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * The base the final image is built on (its last FROM, followed through
 * earlier stages): recorded on every release image, so a preview can say
 * that a change moves the base.
 */
export function finalBase(text: string): string | undefined {
    const froms = DockerfileParser.parse(text).getFROMs();
    const byStage = new Map<string, string>();
    let last: string | undefined;
    for (const from of froms) {
        const image = from.getImage() ?? "";
        const resolved = byStage.get(image.toLowerCase()) ?? image;
        const stage = from.getBuildStage();
        if (stage) {
            byStage.set(stage.toLowerCase(), resolved);
        }
        last = resolved;
    }
    return last && last.toLowerCase() !== "scratch" ? last : undefined;
}

/** A base to re-pin: the FROM line's new digest, and what to say of it above the line. */
export interface BaseRepin {
    readonly line: number;
    readonly digest: string;
    /** The comment's text after `# base: `; none removes an old one. */
    readonly note?: string;
}

/**
 * The recipe with each named FROM line's digest replaced (added where the
 * line had none) and the `# base:` comment above it written anew. Nothing
 * else changes: not the tag, not the stage name, not another line.
 */
export function repinBases(text: string, repins: readonly BaseRepin[]): string {
    const lines = text.split("\n");
    const bases = new Map(recipeBases(text).map((b) => [b.line, b]));
    // From the bottom up, so a comment added above one line does not move the next.
    for (const repin of [...repins].sort((a, b) => b.line - a.line)) {
        const base = bases.get(repin.line);
        if (!base) {
            throw new Error(`repinBases: line ${repin.line} is not a FROM line with an image`);
        }
        const i = repin.line - 1;
        const pinned = `${base.repository}${base.tag ? `:${base.tag}` : ""}@${repin.digest}`;
        const at = lines[i].indexOf(base.written);
        if (at < 0) {
            throw new Error(`repinBases: line ${repin.line} does not hold "${base.written}" (an image on a continuation line)`);
        }
        lines[i] = lines[i].slice(0, at) + pinned + lines[i].slice(at + base.written.length);
        const hasNote = base.note !== undefined;
        if (repin.note !== undefined) {
            lines.splice(hasNote ? i - 1 : i, hasNote ? 1 : 0, `# base: ${repin.note}`);
        } else if (hasNote) {
            lines.splice(i - 1, 1);
        }
    }
    return lines.join("\n");
}
