import { Steps } from "../../pipeline/steps";

/** Steps that keep what an action said, in order: `note:`, `line:`, `start:`, `done:` and `fail:` entries. */
export function recordedSteps(): Steps & { readonly said: string[] } {
    const said: string[] = [];
    return {
        said,
        line: (text) => said.push(`line: ${text}`),
        note: (text) => said.push(`note: ${text}`),
        start: (label) => {
            said.push(`start: ${label}`);
            return { done: (d) => said.push(`done: ${label}${d ? ` (${d})` : ""}`), fail: () => said.push(`fail: ${label}`) };
        },
        close: () => undefined,
    };
}
