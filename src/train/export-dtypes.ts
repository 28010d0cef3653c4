// export_dtypes as a list (the schema's pattern has checked it).
import type { ExportDtype } from '../models/export.js';

export function exportDtypes(flag: string): ExportDtype[] {
  return [...new Set(flag.split(',').map((d) => d.trim() as ExportDtype))];
}
