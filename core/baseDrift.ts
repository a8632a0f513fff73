import { BaseState, baseStateOf, describeState, packageChanges, RecipeBase, recipeBases } from "./baseImage";
import { PinnedError } from "./errors";
import { parseImageDigest } from "./imageDigest";
import { findImage, manifestExists, RegistryCredentials } from "./registry";

/** A recipe's base pins a digest the registry does not hold: the build would fail. */
export class BaseMissingError extends PinnedError {}

/** One base of a recipe, as the registry answers for it. */
export interface BaseLookup {
    readonly base: RecipeBase;
    /** The registry holds the pinned digest (true for a base that pins none). */
    readonly present: boolean;
    /** What the registry serves under the base's tag now, when it has the tag. */
    readonly current?: { readonly digest: string; readonly state?: BaseState };
}

/**
 * Asks the registry about each base of the recipe that lives in it (the
 * release's registry, the one whose credentials we hold; a base elsewhere
 * is the builder's to fetch). The tag is read only when it can help: the
 * pinned digest is missing, or `withTags` asks (pinned base update).
 */
export async function lookUpBases(text: string, creds: RegistryCredentials, withTags = false): Promise<BaseLookup[]> {
    const ours = recipeBases(text).filter((b) => b.repository.startsWith(`${creds.registry}/`));
    return Promise.all(
        ours.map(async (base): Promise<BaseLookup> => {
            const present = base.digest ? await manifestExists(parseImageDigest(`${base.repository}@${base.digest}`), creds) : true;
            if ((present && !withTags) || !base.tag) {
                return { base, present };
            }
            const found = await findImage(base.repository, base.tag, creds);
            const current = found && {
                digest: found.imageDigest.slice(found.imageDigest.indexOf("@") + 1),
                state: baseStateOf(found.labels),
            };
            return { base, present, ...(current ? { current } : {}) };
        }),
    );
}

/**
 * Refuses a recipe whose base pins a digest the registry does not hold,
 * before anything is built: which digest is pinned, what the registry holds
 * under the same tag, the archive state each was made from as far as it is
 * known (`known` gives what this machine's mirror recorded), and the command
 * that re-pins the recipe.
 */
export async function assertBasesPresent(
    text: string,
    recipe: string,
    creds: RegistryCredentials,
    known: (digest: string) => BaseState | undefined = () => undefined,
): Promise<void> {
    const missing = (await lookUpBases(text, creds)).filter((l) => !l.present);
    if (missing.length === 0) {
        return;
    }
    const repinnable = missing.every((l) => l.current);
    throw new BaseMissingError(
        missing.map((l) => explainMissing(l, recipe, creds.registry, known)).join("\n  "),
        repinnable
            ? `re-pin the recipe to the base the registry holds: npx pinned base update --commit (it rewrites the FROM line of ${recipe} and commits it; without --commit it leaves the commit to you), then run this command again.`
            : `push the pinned base to ${creds.registry}, or pin a base it holds in ${recipe}.`,
    );
}

function explainMissing(lookup: BaseLookup, recipe: string, registry: string, known: (digest: string) => BaseState | undefined): string {
    const { base, current } = lookup;
    const digest = base.digest ?? "";
    const pinnedState = known(digest);
    const pinnedSaid =
        describeState(pinnedState) ?? (base.note ? `the recipe says: ${base.note}` : "the recipe does not record what it was built from");
    const lines = [
        `${recipe}:${base.line} pins its base ${base.repository}${base.tag ? `:${base.tag}` : ""}@${short(digest)}, which registry ${registry} does not hold.`,
        `  pinned:     ${short(digest)}: ${pinnedState?.builtOn ? `built here on ${pinnedState.builtOn}, ` : ""}${pinnedSaid}`,
    ];
    if (!current) {
        lines.push(`  registry:   nothing under :${base.tag ?? "(no tag)"}`);
        return lines.join("\n  ");
    }
    const currentState = current.state && { ...current.state, ...known(current.digest) };
    lines.push(`  registry:   ${short(current.digest)} under :${base.tag}: ${describeState(currentState) ?? "no archive state recorded"}`);
    const changes = packageChanges(pinnedState, currentState);
    if (changes && changes.length > 0) {
        const shown = changes.slice(0, 8).join(", ");
        lines.push(`  packages:   ${changes.length} differ: ${shown}${changes.length > 8 ? ", …" : ""}`);
    }
    if (current.state) {
        lines.push(
            "  why:        the base is made from Debian's archive (pinned env up), which moves with point releases and " +
                "security updates; superseded packages leave it, so the pinned base cannot be made again from it.",
        );
    }
    return lines.join("\n  ");
}

/** `sha256:0123456789ab…`: enough to tell digests apart in a message. */
export function short(digest: string): string {
    return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, "$1…");
}
