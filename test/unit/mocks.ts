import * as pulumi from "@pulumi/pulumi";
import { IMAGE_BUILD_TYPE, IMAGE_PUSH_TYPE } from "../../components/releaseImage";

/** One resource the program registered, as the mock engine saw it. */
export interface Registered {
    readonly type: string;
    readonly name: string;
    // Resource inputs are untyped property bags at this level.
    readonly inputs: Record<string, unknown>;
}

/** The RegistryImage type: its `sha256Digest` is what the mock engine makes up. */

const PUSHED = `sha256:${"ab".repeat(32)}`;

/** What the mock engine answers for a push (`sha256Digest`); tests swap it. */
export let imageDigestFor: (inputs: Record<string, unknown>) => string = () => PUSHED;

export function setImageDigest(f: (inputs: Record<string, unknown>) => string): void {
    imageDigestFor = f;
}

export const registered: Registered[] = [];

/**
 * Installs Pulumi mocks for one stack. Call before constructing resources;
 * `config` keys are full names (`pinned:commit`).
 */
export function useMocks(stack: string, config: Record<string, string> = {}): void {
    registered.length = 0;
    setImageDigest(() => PUSHED);
    pulumi.runtime.setAllConfig(config);
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state =
                    args.type === IMAGE_PUSH_TYPE
                        ? { ...args.inputs, sha256Digest: imageDigestFor(args.inputs) }
                        : args.type === IMAGE_BUILD_TYPE
                          ? { ...args.inputs, imageId: `sha256:${"ef".repeat(32)}` }
                          : args.inputs;
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                return args.inputs;
            },
        },
        "pinned",
        stack,
        false,
    );
}

/** Resolves an Output outside `apply`, so failed assertions fail the test, not time it out. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve, reject) => {
        // Output has no public rejection hook; `promise()` is the internal one tests may use.
        const internal = output as unknown as { promise(): Promise<T> };
        internal.promise().then(resolve, reject);
    });
}

/** Lets queued registrations reach the mock engine. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
    }
}

export function ofType(type: string): Registered[] {
    return registered.filter((r) => r.type === type);
}
