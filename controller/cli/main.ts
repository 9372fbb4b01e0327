// Entry point of the `qcb` binary (bin/qcb.mjs loads this, compiled or through tsx).
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
