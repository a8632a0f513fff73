// A release stack: build (or find, or recall) the image, deploy it by digest.
// The program is program/program.ts; its resources are in components/.
import { installStackTraceRepair } from "./core/stackTraces";
import { releaseProgram } from "./program/program";

// First, so that an error anywhere in the program is reported in a second
// rather than a minute (see core/stackTraces.ts).
installStackTraceRepair();

export = releaseProgram;
