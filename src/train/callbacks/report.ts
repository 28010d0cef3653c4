// report.md: the run's markdown report (report/markdown.ts: metrics, Mermaid charts, the Hub push's
// commit or failure), written once metrics.json is. The action leaves this callback out and renders
// the report itself, with the baseline comparison and the artifact link (action/publish.ts).
import { renderReport } from '../../report/markdown.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { Callback, TrainerView } from '../callback.js';
import { hubReportParts } from '../hub-push.js';
import type { RunResult } from '../run-result.js';

export class Report implements Callback {
  onRunEnd(_t: TrainerView, result: RunResult): void {
    const { links, notices } = hubReportParts(result.hub, result.outputDir);
    writeFileAtomic(result.reportPath, renderReport(result.metrics, { artifacts: links, notices }));
    result.files.push(result.reportPath);
  }
}
