// `textclf doctor [--json]`: what this machine can train on, and what `device: auto` picks.
// Exit 0 when at least one device runs.
import { probeTrainingStep } from '../engine/probe-step.js';
import { formatDoctor, runDoctor } from '../runtime/doctor.js';
import type { FactSources } from '../runtime/prepare.js';

export const DOCTOR_USAGE = 'Usage: textclf doctor [--json]   list the devices this machine can train on';

export async function doctorCommand(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  sources: Partial<FactSources> = {},
): Promise<number> {
  let json = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      out(DOCTOR_USAGE + '\n');
      return 0;
    } else {
      out(`error: textclf doctor takes only --json, not '${a}'\n${DOCTOR_USAGE}\n`);
      return 2;
    }
  }
  // Each device is probed as a training run would probe it: one real training step.
  const report = await runDoctor({ probe: probeTrainingStep, ...sources });
  out((json ? JSON.stringify(report, null, 2) : formatDoctor(report)) + '\n');
  return report.ok ? 0 : 1;
}
