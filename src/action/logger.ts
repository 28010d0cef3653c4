// The engine's Logger on top of @actions/core: groups become collapsible log groups, warnings and
// errors become annotations; notices too, so the run's key facts show on the summary page.
import * as core from '@actions/core';
import type { Logger } from '../util/logger.js';

export interface ActionsLogger extends Logger {
  /** Opens a flat group that stays open until the next group, section or endSection (epochs). */
  section(name: string): void;
  endSection(): void;
}

export function actionsLogger(): ActionsLogger {
  let depth = 0;
  let sectionOpen = false;
  const endSection = () => {
    if (sectionOpen) core.endGroup();
    sectionOpen = false;
  };
  return {
    info: (m) => core.info(m),
    notice: (m) => core.notice(m),
    warning: (m) => core.warning(m),
    error: (m) => core.error(m),
    async group(name, fn) {
      // The runner cannot nest groups: an inner group is a header line inside the outer one.
      if (depth > 0 || sectionOpen) {
        core.info(`── ${name}`);
        return fn();
      }
      depth++;
      core.startGroup(name);
      try {
        return await fn();
      } finally {
        core.endGroup();
        depth--;
      }
    },
    section(name) {
      if (depth > 0) return core.info(`── ${name}`);
      endSection();
      core.startGroup(name);
      sectionOpen = true;
    },
    endSection,
  };
}
