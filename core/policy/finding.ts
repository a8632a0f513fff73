/** How bad a finding is. Errors stop a build; warnings are printed. */
export type Severity = "error" | "warning";

/** One thing in a recipe that breaks reproducibility, and how to fix it. */
export interface Finding {
    /** Path of the Dockerfile, as given. */
    readonly file: string;
    /** 1-based line of the instruction. */
    readonly line: number;
    /** Stable rule id, e.g. `base-latest`. */
    readonly rule: string;
    readonly severity: Severity;
    /** What is wrong. */
    readonly message: string;
    /** What to write instead. */
    readonly fix: string;
}

/** `file:line: rule: [severity] message — fix`, the form editors and CI logs link. */
export function formatFinding(f: Finding): string {
    return `${f.file}:${f.line}: ${f.rule}: [${f.severity}] ${f.message} — ${f.fix}`;
}

export function hasErrors(findings: readonly Finding[]): boolean {
    return findings.some((f) => f.severity === "error");
}

/** `2 errors, 1 warning` — the last line of a lint run. */
export function summarize(findings: readonly Finding[]): string {
    const errors = findings.filter((f) => f.severity === "error").length;
    const warnings = findings.length - errors;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}
