/**
 * Kubernetes resource quantities, as a stack setting gives them: CPU in
 * cores or millicores ("0.5", "500m"), memory in bytes with a binary or
 * decimal suffix ("128Mi", "1G"). Parsed here so that a wrong value stops
 * before the engine starts, and so that a request above its limit (which
 * the API server refuses only once the Deployment is applied) is caught too.
 */

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTOR: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** Millicores of a CPU quantity, or undefined when it is not one. */
export function cpuMillicores(text: string): number | undefined {
    const m = CPU.exec(text);
    if (!m) {
        return undefined;
    }
    const n = Number(m[1]);
    return m[2] === "m" ? n : n * 1000;
}

/** Bytes of a memory quantity, or undefined when it is not one. */
export function memoryBytes(text: string): number | undefined {
    const m = MEMORY.exec(text);
    return m ? Number(m[1]) * MEMORY_FACTOR[m[2] ?? ""] : undefined;
}
