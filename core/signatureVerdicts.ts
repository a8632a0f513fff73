import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ImageDigest, splitImageDigest } from "./imageDigest";
import { RegistryCredentials, tagDigest } from "./registry";
import { writeFileWhole } from "./wholeFile";

/**
 * Verdicts "signed by the release key, with this provenance", kept in the
 * cache so that `pinned releases`, `status` and the reuse check do not run
 * cosign twice (0.7 s) per image every time.
 *
 * A verdict is a function of what cosign read: the public key, the image
 * digest, and the manifests under cosign's `sha256-<hex>.sig` and `.att`
 * tags, which name every signature and attestation by digest. So the key
 * is a hash of the public key's content, the image digest and the two tags'
 * manifest digests (asked of the registry: two HEAD requests), and the cosign
 * binary. A signature or attestation added or removed moves a tag, so the
 * image is checked again. Only "signed" is kept: an unsigned image may be
 * signed later, and is asked every time.
 */
export interface KeptVerdicts {
    /** The kept verdict's provenance; undefined when none is kept under this key. */
    read(): { provenance: unknown } | undefined;
    keep(provenance: unknown): void;
}

/** cosign's tag for what it attaches to `digest`: `sha256-<hex>.<suffix>`. */
export function cosignTag(digest: string, suffix: "sig" | "att"): string {
    return `${digest.replace(":", "-")}.${suffix}`;
}

/**
 * The verdicts of `image` under this key, signatures and cosign, kept in
 * `dir`. Undefined when there is nothing to key them on (a tag missing, the
 * registry not answering): cosign then runs and says why.
 */
export async function keptVerdicts(
    dir: string,
    image: ImageDigest,
    creds: RegistryCredentials,
    tools: { readonly cosign: string; readonly publicKey: string },
): Promise<KeptVerdicts | undefined> {
    const { repository, digest } = splitImageDigest(image);
    let signatures: string | undefined;
    let attestations: string | undefined;
    let publicKey: Buffer;
    try {
        [signatures, attestations] = await Promise.all([
            tagDigest(repository, cosignTag(digest, "sig"), creds),
            tagDigest(repository, cosignTag(digest, "att"), creds),
        ]);
        publicKey = fs.readFileSync(tools.publicKey);
    } catch {
        return undefined;
    }
    if (!signatures || !attestations) {
        return undefined;
    }
    const key = crypto
        .createHash("sha256")
        .update(JSON.stringify({ image, signatures, attestations, cosign: binaryIdentity(tools.cosign) }))
        .update(publicKey)
        .digest("hex");
    const file = path.join(dir, key);
    return {
        read() {
            try {
                const kept = JSON.parse(fs.readFileSync(file, "utf8")) as { provenance?: unknown };
                return kept.provenance === undefined ? undefined : { provenance: kept.provenance };
            } catch {
                return undefined;
            }
        },
        keep(provenance) {
            fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
            writeFileWhole(file, JSON.stringify({ image, provenance }), 0o600);
        },
    };
}

/** The cosign run: its path, and for a file its size and mtime (a new cosign judges afresh). */
function binaryIdentity(cosign: string): string {
    try {
        const st = fs.statSync(cosign);
        return `${cosign} ${st.size} ${st.mtimeMs}`;
    } catch {
        return cosign;
    }
}
