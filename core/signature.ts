import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ImageDigest, parseImageDigest } from "./imageDigest";
import { PinnedError } from "./errors";
import { PROVENANCE_PREDICATE_TYPE, SlsaProvenance } from "./provenance";
import { RegistryCredentials, writeAuthFile } from "./registry";
import { cacheDir, localSigning } from "./localCache";
import { Env } from "./env";
import { CHILD_VARS, childEnv } from "./childEnv";
import { keptVerdicts } from "./signatureVerdicts";

/**
 * Release images are signed, and carry a signed provenance attestation and
 * an SBOM, in the registry next to them (cosign's `sha256-<digest>.sig` and
 * `.att` tags). Only release runs hold the private key; anyone with the
 * public key can check an image (`cosign verify`, `pinned verify`).
 *
 * The key: PINNED_SIGNING_KEY (a cosign private key file) with its password
 * in COSIGN_PASSWORD or the file PINNED_SIGNING_PASSWORD_FILE, and
 * PINNED_SIGNING_PUBLIC_KEY; otherwise the embedded environment's, which
 * `pinned env up signing` made once (~/.cache/pinned/signing/).
 */
export interface SigningTools {
    readonly cosign: string;
    readonly syft: string;
    /** The public key every check uses. */
    readonly publicKey: string;
    /** The private key and its password: present only where releases are signed. */
    readonly key?: string;
    readonly passwordFile?: string;
}

export function signingTools(env: Env): SigningTools | undefined {
    const local = localSigning(cacheDir(env));
    const cosign = local?.cosign ?? "cosign";
    const syft = local?.syft ?? "syft";
    const publicKey = env.PINNED_SIGNING_PUBLIC_KEY || local?.publicKey;
    if (!publicKey) {
        return undefined;
    }
    // A team's public key alone takes no private key from the embedded
    // environment; a team's private key takes no embedded password.
    const key = env.PINNED_SIGNING_KEY || (env.PINNED_SIGNING_PUBLIC_KEY ? undefined : local?.key);
    const passwordFile = env.PINNED_SIGNING_PASSWORD_FILE || (env.PINNED_SIGNING_KEY ? undefined : local?.passwordFile);
    return { cosign, syft, publicKey, key, passwordFile };
}

/** The tools and the key a release run signs with; refused with the fix when missing. */
export function requireReleaseSigning(env: Env): Required<Pick<SigningTools, "key">> & SigningTools {
    const tools = signingTools(env);
    if (!tools?.key) {
        throw new PinnedError(
            "no release signing key: a release image must be signed, with its provenance and SBOM attached.",
            "run npx pinned env up signing (the embedded environment's key), or set PINNED_SIGNING_KEY, PINNED_SIGNING_PUBLIC_KEY and COSIGN_PASSWORD (or PINNED_SIGNING_PASSWORD_FILE).",
        );
    }
    return { ...tools, key: tools.key };
}

/** A directory for one cosign/syft run: registry credentials (0600) and TUF cache of its own, removed after. */
class ToolHome {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-signing-"));

    /** `from`: the caller's environment, which the tools' own variables and PATH come from. */
    constructor(
        creds: RegistryCredentials,
        private readonly from: Env,
    ) {
        fs.chmodSync(this.dir, 0o700);
        fs.mkdirSync(path.join(this.dir, "docker"), { mode: 0o700 });
        writeAuthFile(path.join(this.dir, "docker", "config.json"), creds);
    }

    /** Only what the tools need: no registry or engine secrets of the caller's. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return childEnv(
            CHILD_VARS.signing,
            {
                PATH: this.from.PATH ?? "/usr/bin:/bin",
                HOME: this.dir,
                DOCKER_CONFIG: path.join(this.dir, "docker"),
                TUF_ROOT: path.join(this.dir, "tuf"),
                COSIGN_YES: "true",
                SYFT_CHECK_FOR_APP_UPDATE: "false",
                ...extra,
            },
            this.from,
        );
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
    return new Promise((resolve) => {
        execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
            resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== "number" ? err.message : "") });
        });
    });
}

function lastLine(text: string): string {
    const lines = text.trim().split("\n").filter(Boolean);
    return lines[lines.length - 1] ?? "";
}

/**
 * Signs `image` with the release key and attaches its SBOM (syft, SPDX) and
 * provenance (SLSA v1) as signed attestations. An earlier attestation of the
 * same type is replaced, so a re-run leaves one of each. cosign and syft run
 * with their own variables from `env` (the caller's), and the key's password
 * from its file or `env`'s COSIGN_PASSWORD.
 */
export async function signRelease(
    image: ImageDigest,
    provenance: SlsaProvenance,
    creds: RegistryCredentials,
    signing: SigningTools & { key: string },
    env: Env,
): Promise<void> {
    const home = new ToolHome(creds, env);
    try {
        const password = signing.passwordFile ? fs.readFileSync(signing.passwordFile, "utf8").trim() : (env.COSIGN_PASSWORD ?? "");
        const withKey = home.env({ COSIGN_PASSWORD: password });
        const must = async (what: string, running: Promise<Run>): Promise<void> => {
            const r = await running;
            if (r.code !== 0) {
                throw new PinnedError(
                    `${what} ${image} failed: ${lastLine(r.stderr) || `exit ${r.code}`}`,
                    "check the signing key and its password (PINNED_SIGNING_KEY, COSIGN_PASSWORD) and that the registry answers, then run the command again.",
                );
            }
        };
        const attest = (type: string, predicate: string) =>
            run(
                signing.cosign,
                ["attest", "--key", signing.key, "--tlog-upload=false", "--replace", "--type", type, "--predicate", predicate, image],
                withKey,
            );

        await must("signing", run(signing.cosign, ["sign", "--key", signing.key, "--tlog-upload=false", image], withKey));
        const sbom = path.join(home.dir, "sbom.spdx.json");
        await must(
            "making the SBOM of",
            run(signing.syft, ["scan", `registry:${image}`, "-o", `spdx-json=${sbom}`, "-q"], home.env(), 300_000),
        );
        await must("attaching the SBOM to", attest("spdxjson", sbom));
        const predicate = path.join(home.dir, "provenance.json");
        fs.writeFileSync(predicate, JSON.stringify(provenance));
        await must("attaching the provenance to", attest("slsaprovenance1", predicate));
    } finally {
        home.remove();
    }
}

export type Verdict = { readonly ok: true; readonly provenance: unknown } | { readonly ok: false; readonly reason: string };

/**
 * Whether `image` is signed by the release key and carries a provenance
 * attestation signed by it; the provenance is returned for the caller to
 * compare. Never throws for an unsigned image: that is a verdict. cosign runs
 * with its own variables from `env` (the caller's); a "signed" verdict is
 * kept in the cache under what it was made from (signatureVerdicts.ts) and
 * not asked of cosign again.
 */
export async function verifySignature(image: ImageDigest, creds: RegistryCredentials, signing: SigningTools, env: Env): Promise<Verdict> {
    const kept = await keptVerdicts(path.join(cacheDir(env), "signature-verdicts"), image, creds, signing);
    const known = kept?.read();
    if (known) {
        return { ok: true, provenance: known.provenance };
    }
    const verdict = await cosignVerdict(image, creds, signing, env);
    if (verdict.ok) {
        kept?.keep(verdict.provenance);
    }
    return verdict;
}

/** What cosign says of `image`: verify, then verify-attestation for the SLSA provenance. */
async function cosignVerdict(image: ImageDigest, creds: RegistryCredentials, signing: SigningTools, env: Env): Promise<Verdict> {
    const home = new ToolHome(creds, env);
    try {
        const verified = await run(
            signing.cosign,
            ["verify", "--key", signing.publicKey, "--insecure-ignore-tlog=true", image],
            home.env(),
        );
        if (verified.code !== 0) {
            return { ok: false, reason: `it is not signed by the release key (cosign: ${unsignedReason(verified.stderr)})` };
        }
        const attested = await run(
            signing.cosign,
            ["verify-attestation", "--key", signing.publicKey, "--insecure-ignore-tlog=true", "--type", "slsaprovenance1", image],
            home.env(),
        );
        if (attested.code !== 0) {
            return { ok: false, reason: `it has no provenance signed by the release key (cosign: ${unsignedReason(attested.stderr)})` };
        }
        const provenance = provenanceIn(attested.stdout);
        return provenance === undefined
            ? { ok: false, reason: "its signed attestations hold no SLSA provenance" }
            : { ok: true, provenance };
    } finally {
        home.remove();
    }
}

/** cosign's one-line reason ("no signatures found", "no matching signatures"…). */
function unsignedReason(stderr: string): string {
    const line = stderr
        .split("\n")
        .map((l) => l.replace(/^Error:\s*/, "").trim())
        .find((l) => /no (matching )?(signatures|attestations)|not found|MANIFEST_UNKNOWN/i.test(l));
    return line ?? (lastLine(stderr) || "verification failed");
}

/** The predicate of the last SLSA v1 statement in `cosign verify-attestation`'s output (one DSSE envelope per line). */
export function provenanceIn(stdout: string): unknown {
    let found: unknown;
    for (const line of stdout.split("\n")) {
        if (!line.trim().startsWith("{")) {
            continue;
        }
        try {
            const envelope = JSON.parse(line) as { payload?: string };
            const statement = JSON.parse(Buffer.from(envelope.payload ?? "", "base64").toString("utf8")) as {
                predicateType?: string;
                predicate?: unknown;
            };
            if (statement.predicateType === PROVENANCE_PREDICATE_TYPE) {
                found = statement.predicate;
            }
        } catch {
            // not an envelope
        }
    }
    return found;
}

/**
 * What `pinned status` and `pinned releases` say of an image: signed by the
 * release key (with its provenance), not, or not checked (`signing` is
 * undefined: no public key, signingTools). cosign runs as verifySignature says.
 */
export async function signatureOf(
    image: string,
    creds: RegistryCredentials,
    signing: SigningTools | undefined,
    env: Env,
): Promise<{ readonly signed: boolean; readonly said: string }> {
    if (!signing) {
        return { signed: false, said: "not checked (no release public key: npx pinned env up signing, or PINNED_SIGNING_PUBLIC_KEY)" };
    }
    const verdict = await verifySignature(parseImageDigest(image), creds, signing, env);
    return verdict.ok ? { signed: true, said: "signed by the release key" } : { signed: false, said: `not signed: ${verdict.reason}` };
}
