// Parses and validates flag values (strings from argv, action inputs or `/train` comments).
import { batchAmountProblem } from './batch-amount.js';
import {
  type Command,
  commandsOf,
  FLAGS,
  type FlagScope,
  type FlagSpec,
  type FlagsFor,
  findFlag,
  flagsFor,
} from './schema.js';

export class FlagError extends Error {
  override name = 'FlagError';
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
  }
}

export type FlagValue = string | number | boolean;
/** Flags as a plain record, for code that handles any flag by name (ChatOps overlays, sweeps). */
export type Flags = Record<string, FlagValue | undefined>;

export function describeAllowed(s: FlagSpec): string {
  if (s.type === 'enum')
    return `one of ${s.choices!.join(', ')}${s.choiceAliases ? ` (or ${Object.keys(s.choiceAliases).join(', ')})` : ''}`;
  if (s.type === 'bool') return `true or false${s.words?.length ? ` or ${s.words.join(', ')}` : ''}`;
  if (s.type === 'batches')
    return 'an integer number of batches >= 1 (e.g. 10), or a fraction of the epoch with a decimal point in (0.0, 1.0] (e.g. 0.25, 1.0)';
  if (s.patternHelp) return s.patternHelp;
  const lo = s.gt !== undefined ? `> ${s.gt}` : s.min !== undefined ? `>= ${s.min}` : '';
  const hi = s.max !== undefined ? `<= ${s.max}` : '';
  const kind = s.type === 'int' ? 'an integer' : s.type === 'float' ? 'a number' : 'a string';
  const range = [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
  return s.words?.length ? `${s.words.join(', ')} or ${range}` : range;
}

/** Converts one raw string to the flag's type, or throws a FlagError naming flag and allowed values. */
export function parseValue(s: FlagSpec, raw: string): FlagValue {
  const bad = () => new FlagError(s.name, `--${s.name}: '${raw}' is not valid; expected ${describeAllowed(s)}`);
  const text = raw.trim();
  switch (s.type) {
    case 'string':
      if (s.pattern && !new RegExp(`^(?:${s.pattern})$`).test(text)) throw bad();
      return s.pattern ? text : raw;
    case 'bool': {
      const t = text.toLowerCase();
      if (s.words?.includes(t)) return t;
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw bad();
    }
    case 'enum': {
      const choice = s.choiceAliases?.[text] ?? text;
      if (!s.choices!.includes(choice)) throw bad();
      return choice;
    }
    case 'batches':
      if (batchAmountProblem(text)) throw bad();
      return text;
    case 'int':
    case 'float': {
      if (s.words?.includes(text)) return text;
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw bad();
      const v = Number(text);
      if (!Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v))) throw bad();
      if ((s.min !== undefined && v < s.min) || (s.gt !== undefined && v <= s.gt) || (s.max !== undefined && v > s.max))
        throw bad();
      return v;
    }
  }
}

/**
 * Validates a map of raw values for `scope` and `command` and fills defaults. Aliases (Lightning's
 * spellings) become their flag's name; giving a flag twice under two names is an error. Unknown
 * keys fail with the list of valid ones; empty strings mean "not given" (how the runner passes
 * unset action inputs without a default), except for flags whose empty value means "none"
 * (valid_file, test_file: the runner passes their defaults when unset). A flag of another command is an error on the CLI; the action ignores it,
 * because the runner passes every input of action.yml with its default, whatever the mode.
 */
export function parseFlags<Sc extends FlagScope, C extends Command = 'train'>(
  raw: Record<string, string | undefined>,
  scope: Sc,
  command?: C,
): FlagsFor<Sc, C> {
  const cmd: Command = command ?? 'train';
  const inScope = flagsFor(scope, 'any');
  const allowed = flagsFor(scope, cmd);
  const out: Flags = {};
  const givenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const spec = findFlag(inScope, key);
    if (!spec) {
      const known = findFlag(FLAGS as readonly FlagSpec[], key);
      throw new FlagError(
        key,
        known
          ? `'${key}' cannot be set here (${scope}); valid keys: ${allowed.map((s) => s.name).join(', ')}`
          : `unknown flag '${key}'; valid flags: ${allowed.map((s) => s.name).join(', ')}`,
      );
    }
    if (value === undefined || (value === '' && !spec.emptyMeansNone)) continue;
    if (!allowed.includes(spec)) {
      if (scope === 'action') continue;
      const cmds = commandsOf(spec);
      throw new FlagError(
        key,
        `--${key} is a flag of ${cmds.map((c) => `textclf ${c}`).join(' and ')}, not of textclf ${cmd}; see textclf ${cmd} --help`,
      );
    }
    const earlier = givenAs.get(spec.name);
    if (earlier !== undefined)
      throw new FlagError(
        key,
        `--${key} and --${earlier} are the same flag (${spec.name}${spec.aliases?.length ? `, alias ${spec.aliases.join(', ')}` : ''}); give it once`,
      );
    givenAs.set(spec.name, key);
    out[spec.name] = value === '' ? '' : parseValue(key === spec.name ? spec : { ...spec, name: key }, value);
  }
  for (const s of allowed) {
    const dflt = s.commandDefault?.[cmd] ?? s.default;
    if (out[s.name] === undefined && dflt !== undefined && !s.checkpointDefault?.includes(cmd)) out[s.name] = dflt;
  }
  // Every key and type checked above against the schema the type is derived from.
  return out as FlagsFor<Sc, C>;
}

/** The flags of `flags` that are accepted without effect here, each with its one-line notice. */
export function noEffectNotices(flags: Flags): string[] {
  return (FLAGS as readonly FlagSpec[])
    .filter((s) => s.noEffect && flags[s.name] !== undefined)
    .map((s) => `--${s.name} is accepted for train.py compatibility and has no effect here: ${s.noEffect}`);
}
