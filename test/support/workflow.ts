import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/** A GitHub Actions step, as far as the tests read it. */
export interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}

/** A job, as far as the tests read it. */
export interface Job {
    needs?: string | string[];
    if?: string;
    permissions?: Record<string, string>;
    outputs?: Record<string, string>;
    steps: Step[];
}

export interface Workflow {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
}

export const WORKFLOW = path.join(PROJECT_DIR, ".github", "workflows", "pinned-preview.yml");
export const RELEASE_WORKFLOW = path.join(PROJECT_DIR, ".github", "workflows", "pinned-release.yml");

export function readWorkflow(file = WORKFLOW): Workflow {
    return yaml.load(fs.readFileSync(file, "utf8")) as Workflow;
}

/** The step with the given name, in whichever job of the workflow holds it. */
export function workflowStep(name: string, file = WORKFLOW): Step {
    const step = Object.values(readWorkflow(file).jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.name === name);
    assert.ok(step, `no step named "${name}" in ${path.basename(file)}`);
    return step;
}
