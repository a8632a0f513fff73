/**
 * Sets variables in this process's own environment for a test (undefined
 * unsets one) and keeps what they were: `restore()` puts every variable it
 * changed back. For the code that still reads `process.env` itself (the
 * runner files eslint.config.mjs names) and for child processes started
 * without an environment of their own.
 */
export class ProcessEnv {
    private readonly saved = new Map<string, string | undefined>();

    set(vars: Record<string, string | undefined>): void {
        for (const [k, v] of Object.entries(vars)) {
            if (!this.saved.has(k)) {
                this.saved.set(k, process.env[k]);
            }
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
    }

    restore(): void {
        for (const [k, v] of this.saved) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
        this.saved.clear();
    }
}
